import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, hex, le32, le64, splits, zeros } from '../support/bytes.js';
import {
  decodeDurableReconnect, decodeDurableReconnectV2, decodeDurableRequestV2, decodeDurableResponseV2,
  encodeDurableResponse, encodeDurableResponseV2,
} from '../../smb2/commands/durable-contexts.js';
import { decodeCreateContexts } from '../../smb2/commands/create.js';
import { DecodeError } from '../../wire/index.js';
import { createContexts, dh2c, dh2q, dhnc, dhnq } from '../support/durable-pdus.js';

const GUID = hex('00112233445566778899aabbccddeeff');

test('DH2Q data, [MS-SMB2] 2.2.13.2.11: Timeout, Flags, 8 reserved bytes, CreateGuid', () => {
  const bytes = cat(le32(300000), le32(2), hex('ffffffffffffffff'), GUID);
  assert.deepEqual(decodeDurableRequestV2(bytes), { timeout: 300000, flags: 2, createGuid: GUID });
});

test('DHnC data, [MS-SMB2] 2.2.13.2.4, and DH2C data, 2.2.13.2.12: FileId, then CreateGuid and Flags', () => {
  assert.deepEqual(decodeDurableReconnect(cat(le64(0x1122n), le64(7n))), { persistent: 0x1122n, volatile: 7n });
  const bytes = cat(le64(5n), le64(9n), GUID, le32(0));
  assert.deepEqual(decodeDurableReconnectV2(bytes), { fileId: { persistent: 5n, volatile: 9n }, createGuid: GUID, flags: 0 });
});

test('durable responses, [MS-SMB2] 2.2.14.2.3 (8 reserved bytes) and 2.2.14.2.12 (Timeout, Flags)', () => {
  assert.deepEqual(encodeDurableResponse(), zeros(8));
  assert.deepEqual(encodeDurableResponseV2({ timeout: 60000, flags: 0 }), cat(le32(60000), le32(0)));
  assert.deepEqual(decodeDurableResponseV2(cat(le32(60000), le32(2))), { timeout: 60000, flags: 2 });
});

test('a durable context shorter than its structure is INVALID_PARAMETER, cut at every boundary', () => {
  const full = cat(le64(5n), le64(9n), GUID, le32(0));
  for (const [head] of splits(full)) {
    if (head.length === full.length) continue;
    assert.throws(() => decodeDurableReconnectV2(head), (e: unknown) => e instanceof DecodeError && e.status === 0xc000000d);
    if (head.length < 32) assert.throws(() => decodeDurableRequestV2(head), DecodeError);
    if (head.length < 16) assert.throws(() => decodeDurableReconnect(head), DecodeError);
  }
});

test('the test builder chains durable contexts as the create-context decoder reads them', () => {
  const id = { persistent: 3n, volatile: 4n };
  const list = [dhnq(), dhnc(id), dh2q(0, GUID), dh2c(id, GUID)];
  assert.deepEqual(decodeCreateContexts(createContexts(list)), list.map(([name, data]) => ({ name, data })));
});
