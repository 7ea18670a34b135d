import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, splits } from '../support/bytes.js';
import { DirectTcpFramer, directTcpHeader } from '../../server/direct-tcp-framer.js';
import { CreditWindow } from '../../server/credits.js';
import { splitSharePath } from '../../server/share-root.js';
import { checkStructureSize } from '../../server/validate.js';
import { splitCompound } from '../../server/compound.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import { DecodeError } from '../../wire/index.js';
import { smb2Header } from '../support/server-pdus.js';

const m1 = Buffer.from('first message');
const m2 = Buffer.alloc(300, 7);
const m3 = Buffer.alloc(0);
const stream = cat([0, 0, 0, m1.length], m1, [0, 0, 1, 0x2c], m2, [0, 0, 0, 0], m3);

test('direct-TCP header: zero byte and 24-bit big-endian length', () => {
  assert.deepEqual(directTcpHeader(0x012345), Buffer.from([0, 1, 0x23, 0x45]));
  assert.throws(() => directTcpHeader(0x1000000), RangeError);
});

test('direct-TCP framer: the same messages whatever the split', () => {
  for (const [a, b] of splits(stream)) {
    const f = new DirectTcpFramer(1 << 20);
    const got = [...f.push(a), ...f.push(b)];
    assert.deepEqual(got, [m1, m2, m3], `split at ${a.length}`);
  }
});

test('direct-TCP framer: byte by byte', () => {
  const f = new DirectTcpFramer(1 << 20);
  const got: Buffer[] = [];
  for (const byte of stream) got.push(...f.push(Buffer.from([byte])));
  assert.deepEqual(got, [m1, m2, m3]);
});

test('direct-TCP framer: oversize frames and a non-zero first byte are refused', () => {
  assert.throws(() => new DirectTcpFramer(100).push(Buffer.from([0, 0, 0, 101])), DecodeError);
  assert.throws(() => new DirectTcpFramer(100).push(Buffer.from([1, 0, 0, 1, 0])), DecodeError);
  const f = new DirectTcpFramer(100);
  assert.deepEqual(f.push(Buffer.from([0, 0])), []);
  assert.throws(() => f.push(Buffer.from([1, 0])), DecodeError);
});

test('credit window: ids are used once, inside the window, large MTU consumes several', () => {
  const w = new CreditWindow(10);
  assert.equal(w.consume(0n, 1), true);
  assert.equal(w.consume(0n, 1), false, 'replayed id');
  assert.equal(w.consume(1n, 1), false, 'not granted yet');
  assert.equal(w.grant(4), 4);
  assert.equal(w.outstanding, 4);
  assert.equal(w.consume(3n, 2), true, 'ids 3,4 out of order');
  assert.equal(w.consume(4n, 1), false);
  assert.equal(w.consume(5n, 1), false, 'past the window');
  assert.equal(w.consume(1n, 2), true);
  assert.equal(w.outstanding, 0);
  assert.equal(w.grant(0), 1, 'never leaves the client without credits');
  assert.equal(w.grant(1000), 9, 'capped at maxCredits');
  assert.equal(w.grant(5), 0, 'no room left');
});

test('structure sizes are checked before dispatch', () => {
  const read = (size: number, bodyLength: number) => cat(smb2Header({ command: 8, messageId: 0 }), Buffer.from([size & 0xff, size >> 8]), Buffer.alloc(bodyLength - 2));
  assert.equal(checkStructureSize(8, read(49, 49)), Status.SUCCESS);
  assert.equal(checkStructureSize(8, read(49, 48)), Status.SUCCESS, 'the variable byte may be absent');
  assert.equal(checkStructureSize(8, read(48, 49)), Status.INVALID_PARAMETER);
  assert.equal(checkStructureSize(8, read(49, 40)), Status.INVALID_PARAMETER);
  assert.equal(checkStructureSize(0x99, read(49, 49)), Status.INVALID_PARAMETER);
});

test('compound messages split at NextCommand, and bad offsets are refused', () => {
  const a = cat(smb2Header({ command: 13, messageId: 0, nextCommand: 72 }), Buffer.alloc(8));
  const b = cat(smb2Header({ command: 13, messageId: 1 }), Buffer.alloc(4));
  assert.deepEqual(splitCompound(cat(a, b)), [a, b]);
  assert.throws(() => splitCompound(cat(smb2Header({ command: 13, messageId: 0, nextCommand: 68 }), Buffer.alloc(8))), DecodeError);
  assert.throws(() => splitCompound(cat(smb2Header({ command: 13, messageId: 0, nextCommand: 800 }), Buffer.alloc(8))), DecodeError);
  assert.throws(() => splitCompound(Buffer.alloc(10)), DecodeError);
});

test('share paths: backslashes, dots, escapes', () => {
  assert.deepEqual(splitSharePath('a\\b\\.\\c'), ['a', 'b', 'c']);
  assert.deepEqual(splitSharePath(''), []);
  for (const [bad, status] of [['..\\x', Status.OBJECT_PATH_SYNTAX_BAD], ['a\\..\\b', Status.OBJECT_PATH_SYNTAX_BAD], ['\\abs', Status.INVALID_PARAMETER], ['C:\\x', Status.INVALID_PARAMETER], ['a\0b', Status.OBJECT_NAME_INVALID], ['f:stream', Status.OBJECT_NAME_NOT_FOUND]] as const) {
    assert.throws(() => splitSharePath(bad), (e: unknown) => e instanceof SmbStatusError && e.status === status, bad);
  }
});
