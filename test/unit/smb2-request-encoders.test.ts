/**
 * Golden bytes for the request encoders the client uses, spelled out with the independent
 * builder. Offsets count from the start of the SMB2 header (64 bytes before the body).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, le16, le32, le64, utf16, zeros } from '../support/bytes.js';
import { encodeCloseRequest } from '../../smb2/commands/close.js';
import { encodeFlushRequest } from '../../smb2/commands/flush.js';
import { encodeLockRequest } from '../../smb2/commands/lock.js';
import { encodeIoctlRequest } from '../../smb2/commands/ioctl.js';
import { encodeQueryInfoRequest } from '../../smb2/commands/query-info.js';
import { encodeSetInfoRequest } from '../../smb2/commands/set-info.js';
import { encodeQueryDirectoryRequest } from '../../smb2/commands/query-directory.js';
import { encodeNegotiateRequest } from '../../smb2/commands/negotiate.js';
import { encodeWriteRequestHeader } from '../../smb2/commands/write.js';

const FILE_ID = cat(le64(0x1122334455667788n), le64(0x99aabbccddeeff00n));
const fileId = { persistent: 0x1122334455667788n, volatile: 0x99aabbccddeeff00n };

test('CLOSE and FLUSH requests, [MS-SMB2] 2.2.15, 2.2.17', () => {
  assert.deepEqual(encodeCloseRequest({ flags: 1, fileId }), cat(le16(24), le16(1), le32(0), FILE_ID));
  assert.deepEqual(encodeFlushRequest({ fileId }), cat(le16(24), le16(0), le32(0), FILE_ID));
});

test('LOCK request with two elements, [MS-SMB2] 2.2.26', () => {
  const m = { lockSequence: 5, fileId, locks: [{ offset: 0n, length: 10n, flags: 0x12 }, { offset: 100n, length: 1n, flags: 0x4 }] };
  assert.deepEqual(encodeLockRequest(m), cat(
    le16(48), le16(2), le32(5), FILE_ID,
    le64(0n), le64(10n), le32(0x12), le32(0),
    le64(100n), le64(1n), le32(0x4), le32(0),
  ));
});

test('IOCTL request, [MS-SMB2] 2.2.31: InputOffset 120 with input, 0 without', () => {
  const base = { ctlCode: 0x00140204, fileId, maxInputResponse: 0, maxOutputResponse: 24, flags: 1 };
  const input = Buffer.from([1, 2, 3, 4]);
  assert.deepEqual(encodeIoctlRequest({ ...base, input }), cat(
    le16(57), le16(0), le32(0x00140204), FILE_ID, le32(120), le32(4), le32(0), le32(0), le32(0), le32(24), le32(1), le32(0), input,
  ));
  assert.deepEqual(encodeIoctlRequest({ ...base, input: Buffer.alloc(0) }), cat(
    le16(57), le16(0), le32(0x00140204), FILE_ID, le32(0), le32(0), le32(0), le32(0), le32(0), le32(24), le32(1), le32(0),
  ));
});

test('QUERY_INFO request, [MS-SMB2] 2.2.37: InputBufferOffset 104 with input, 0 and one pad byte without', () => {
  const base = { infoType: 1, infoClass: 0x22, outputBufferLength: 4096, additionalInformation: 0, flags: 0, fileId };
  assert.deepEqual(encodeQueryInfoRequest({ ...base, input: Buffer.alloc(0) }), cat(
    le16(41), [1, 0x22], le32(4096), le16(0), le16(0), le32(0), le32(0), le32(0), FILE_ID, [0],
  ));
  const input = Buffer.from([9, 8]);
  assert.deepEqual(encodeQueryInfoRequest({ ...base, infoType: 4, input }), cat(
    le16(41), [4, 0x22], le32(4096), le16(104), le16(0), le32(2), le32(0), le32(0), FILE_ID, input,
  ));
});

test('SET_INFO request, [MS-SMB2] 2.2.39: BufferOffset 96', () => {
  const buffer = le64(1234n);
  assert.deepEqual(encodeSetInfoRequest({ infoType: 1, infoClass: 0x14, buffer, additionalInformation: 0, fileId }), cat(
    le16(33), [1, 0x14], le32(8), le16(96), le16(0), le32(0), FILE_ID, buffer,
  ));
});

test('QUERY_DIRECTORY request, [MS-SMB2] 2.2.33: FileNameOffset 96 with a pattern, 0 without', () => {
  const base = { infoClass: 0x25, flags: 1, fileIndex: 0, fileId, outputBufferLength: 65536 };
  assert.deepEqual(encodeQueryDirectoryRequest({ ...base, pattern: '*' }), cat(
    le16(33), [0x25, 1], le32(0), FILE_ID, le16(96), le16(2), le32(65536), utf16('*'),
  ));
  assert.deepEqual(encodeQueryDirectoryRequest({ ...base, pattern: '' }), cat(
    le16(33), [0x25, 1], le32(0), FILE_ID, le16(0), le16(0), le32(65536), [0],
  ));
});

test('NEGOTIATE request, [MS-SMB2] 2.2.3: contexts 8-aligned after the dialects, offset from the header', () => {
  const guid = Buffer.alloc(16, 0xab);
  const plain = encodeNegotiateRequest({ securityMode: 1, capabilities: 0x7f, clientGuid: guid, dialects: [0x0202, 0x0210], contexts: [] });
  assert.deepEqual(plain, cat(le16(36), le16(2), le16(1), le16(0), le32(0x7f), guid, le32(0), le16(0), le16(0), le16(0x0202), le16(0x0210)));
  const preauth = cat(le16(1), le16(4), le16(1), Buffer.from([1, 2, 3, 4]));
  const signing = cat(le16(1), le16(1));
  const dialects = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];
  const withContexts = encodeNegotiateRequest({
    securityMode: 1, capabilities: 0, clientGuid: guid, dialects,
    contexts: [{ type: 1, data: preauth }, { type: 8, data: signing }],
  });
  assert.deepEqual(withContexts, cat(
    le16(36), le16(5), le16(1), le16(0), le32(0), guid, le32(112), le16(2), le16(0), ...dialects.map(le16), // 64 + 46 = 110
    zeros(2), // to 112
    le16(1), le16(10), le32(0), preauth, // 112 .. 130
    zeros(6), // to 136
    le16(8), le16(4), le32(0), signing,
  ));
});

test('WRITE request over RDMA, [MS-SMB2] 2.2.21: no inline data, descriptors at 112', () => {
  const desc = cat(le64(0x2000n), le32(0x77), le32(4096));
  const header = encodeWriteRequestHeader({
    offset: 0, fileId, channel: 1, remainingBytes: 4096, flags: 0, length: 0, channelInfo: [{ offset: 0x2000n, token: 0x77, length: 4096 }],
  });
  assert.deepEqual(header, cat(le16(49), le16(0), le32(0), le64(0n), FILE_ID, le32(1), le32(4096), le16(112), le16(16), le32(0), desc));
});
