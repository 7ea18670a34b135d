import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, le16, le32, le64, zeros } from '../support/bytes.js';
import {
  decodeMaximalAccessResponse, decodeOnDiskIdResponse, encodeMaximalAccessResponse, encodeOnDiskIdResponse,
} from '../../smb2/commands/create-contexts.js';
import { decodeCreateContexts, encodeCreateContexts } from '../../smb2/commands/create.js';

test('MxAc response data, [MS-SMB2] 2.2.14.2.5: QueryStatus, MaximalAccess', () => {
  const bytes = cat(le32(0), le32(0x001f01ff));
  assert.deepEqual(encodeMaximalAccessResponse({ queryStatus: 0, maximalAccess: 0x001f01ff }), bytes);
  assert.deepEqual(decodeMaximalAccessResponse(bytes), { queryStatus: 0, maximalAccess: 0x001f01ff });
});

test('QFid response data, [MS-SMB2] 2.2.14.2.9: DiskFileId, VolumeId, 16 reserved bytes', () => {
  const bytes = cat(le64(0x0102030405060708n), le64(0xfd01n), zeros(16));
  assert.deepEqual(encodeOnDiskIdResponse({ diskFileId: 0x0102030405060708n, volumeId: 0xfd01n }), bytes);
  assert.deepEqual(decodeOnDiskIdResponse(bytes), { diskFileId: 0x0102030405060708n, volumeId: 0xfd01n });
});

test('MxAc and QFid answers chained as SMB2_CREATE_CONTEXTs, [MS-SMB2] 2.2.13.2: 8-aligned, Next relative', () => {
  const mxac = cat(le32(0), le32(0x001200a9));
  const qfid = cat(le64(77n), le64(5n), zeros(16));
  const contexts = [{ name: 'MxAc', data: mxac }, { name: 'QFid', data: qfid }];
  const bytes = cat(
    // Next 32, NameOffset 16, NameLength 4, Reserved, DataOffset 24, DataLength 8, name, pad to 24, data
    le32(32), le16(16), le16(4), le16(0), le16(24), le32(8), Buffer.from('MxAc'), zeros(4), mxac,
    le32(0), le16(16), le16(4), le16(0), le16(24), le32(32), Buffer.from('QFid'), zeros(4), qfid,
  );
  assert.deepEqual(encodeCreateContexts(contexts), bytes);
  assert.deepEqual(decodeCreateContexts(bytes), contexts);
});
