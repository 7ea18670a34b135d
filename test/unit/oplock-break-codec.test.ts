/** The oplock/lease codecs against golden bytes spelled out field by field ([MS-SMB2] 2.2.13.2.8/10, 2.2.23-2.2.25). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, DecodeError } from '../../wire/index.js';
import { cat, hex, le16, le32, le64, splits, zeros } from '../support/bytes.js';
import {
  decodeOplockBreakRequest, encodeLeaseBreakNotification, encodeLeaseBreakResponse, encodeOplockBreak,
} from '../../smb2/commands/oplock-break.js';
import { decodeLeaseContext, encodeLeaseContext } from '../../smb2/commands/lease-context.js';
import { leaseBreakMessage, oplockBreakMessage } from '../../server/oplocks/notifications.js';

const KEY = hex('00112233445566778899aabbccddeeff');
const PARENT = hex('ffeeddccbbaa99887766554433221100');
const FILE_ID = cat(le64(5n), le64(6n));

/** A request body behind a 64-byte header, as handlers read it. */
function bodyReader(body: Buffer): Reader {
  const r = new Reader(cat(zeros(64), body));
  r.seek(64);
  return r;
}

test('an oplock break acknowledgment (StructureSize 24) decodes', () => {
  const body = cat(le16(24), [0x01], [0], le32(0), FILE_ID);
  assert.deepEqual(decodeOplockBreakRequest(bodyReader(body)), { kind: 'oplock', oplockLevel: 1, fileId: { persistent: 5n, volatile: 6n } });
});

test('a lease break acknowledgment (StructureSize 36) decodes', () => {
  const body = cat(le16(36), le16(0), le32(0), KEY, le32(3), le64(0n));
  assert.deepEqual(decodeOplockBreakRequest(bodyReader(body)), { kind: 'lease', flags: 0, leaseKey: KEY, leaseState: 3, leaseDuration: 0n });
});

test('a truncated acknowledgment or another StructureSize is a decode error', () => {
  const whole = cat(le16(36), le16(0), le32(0), KEY, le32(3), le64(0n));
  for (const [head] of splits(whole)) {
    if (head.length === whole.length) continue;
    assert.throws(() => decodeOplockBreakRequest(bodyReader(head)), DecodeError, `cut at ${head.length}`);
  }
  assert.throws(() => decodeOplockBreakRequest(bodyReader(cat(le16(30), zeros(40)))), DecodeError);
});

test('oplock break notification and response bodies', () => {
  assert.deepEqual(encodeOplockBreak(0x01, { persistent: 5n, volatile: 6n }), cat(le16(24), [0x01], [0], le32(0), FILE_ID));
});

test('lease break notification and response bodies', () => {
  const n = encodeLeaseBreakNotification({ newEpoch: 9, flags: 1, leaseKey: KEY, currentLeaseState: 7, newLeaseState: 3 });
  assert.deepEqual(n, cat(le16(44), le16(9), le32(1), KEY, le32(7), le32(3), le32(0), le32(0), le32(0)));
  assert.deepEqual(encodeLeaseBreakResponse(KEY, 3), cat(le16(36), le16(0), le32(0), KEY, le32(3), le64(0n)));
});

test('notifications: MessageId all ones, SERVER_TO_REDIR, no credits, unsigned; a lease break has SessionId 0', () => {
  const header = (sessionId: bigint, treeId: number) =>
    cat([0xfe, 0x53, 0x4d, 0x42], le16(64), le16(0), le32(0), le16(0x12), le16(0), le32(1), le32(0), le64(0xffffffffffffffffn), le32(0), le32(treeId), le64(sessionId), zeros(16));
  assert.deepEqual(oplockBreakMessage(0, { persistent: 5n, volatile: 6n }, 0x44n, 3), cat(header(0x44n, 3), le16(24), [0], [0], le32(0), FILE_ID));
  const lease = { clientGuid: 'g', key: KEY, fileKey: 'f', version: 2 as const, state: 7, breakTo: 0, breakToRequired: 0, epoch: 4, opens: 1 };
  assert.deepEqual(leaseBreakMessage(lease, 3, true), cat(header(0n, 0), le16(44), le16(4), le32(1), KEY, le32(7), le32(3), zeros(12)));
});

test('RqLs v1 and v2 contexts decode; v2 only where allowed (3.x)', () => {
  const v1 = cat(KEY, le32(7), le32(0), le64(0n));
  const v2 = cat(KEY, le32(3), le32(4), le64(0n), PARENT, le16(0x4711), le16(0));
  assert.deepEqual(decodeLeaseContext(v1, true), { version: 1, leaseKey: KEY, leaseState: 7, flags: 0, parentLeaseKey: zeros(16), epoch: 0 });
  assert.deepEqual(decodeLeaseContext(v2, true), { version: 2, leaseKey: KEY, leaseState: 3, flags: 4, parentLeaseKey: PARENT, epoch: 0x4711 });
  assert.equal(decodeLeaseContext(v2, false).version, 1);
  assert.throws(() => decodeLeaseContext(v1.subarray(0, 31), true), DecodeError);
});

test('RqLs response contexts: v1 32 bytes, v2 52', () => {
  assert.deepEqual(encodeLeaseContext({ version: 1, leaseKey: KEY, leaseState: 3, flags: 2, parentLeaseKey: zeros(16), epoch: 0 }), cat(KEY, le32(3), le32(2), le64(0n)));
  assert.deepEqual(
    encodeLeaseContext({ version: 2, leaseKey: KEY, leaseState: 5, flags: 4, parentLeaseKey: PARENT, epoch: 0x4712 }),
    cat(KEY, le32(5), le32(4), le64(0n), PARENT, le16(0x4712), le16(0)),
  );
});
