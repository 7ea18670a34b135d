import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { cat, hex, le16, le32, le64, utf16 } from '../support/bytes.js';

test('reader decodes little-endian fields and refuses to read past the end', () => {
  const buf = cat(le16(0xbeef), le32(0xdeadbeef), le64(0x0102030405060708n), utf16('hi'));
  const r = new Reader(buf);
  assert.equal(r.u16(), 0xbeef);
  assert.equal(r.u32(), 0xdeadbeef);
  assert.equal(r.u64(), 0x0102030405060708n);
  assert.equal(r.utf16(4), 'hi');
  assert.equal(r.remaining, 0);
  assert.throws(() => r.u8(), DecodeError);
});

test('reader slice checks offset/length pairs against the message', () => {
  const r = new Reader(hex('00 01 02 03 04 05'));
  assert.deepEqual(r.slice(2, 3), hex('02 03 04'));
  assert.equal(r.slice(100, 0).length, 0);
  assert.throws(() => r.slice(4, 3), DecodeError);
  assert.throws(() => r.slice(-1, 1), DecodeError);
  assert.throws(() => new Reader(hex('00'), 0, 2), DecodeError);
});

test('reader u64n refuses values beyond 2^53', () => {
  assert.throws(() => new Reader(le64(1n << 60n)).u64n(), DecodeError);
  assert.equal(new Reader(le64(4096)).u64n(), 4096);
});

test('writer matches the independent builder and back-fills reserved fields', () => {
  const w = new Writer(64);
  const len = w.reserveU16();
  w.u32(0xdeadbeef).u64(7n).utf16('ab');
  w.fillU16(len, w.position);
  assert.equal(w.position, 64 + 2 + 4 + 8 + 4);
  assert.deepEqual(w.finish(), cat(le16(82), le32(0xdeadbeef), le64(7), utf16('ab')));
});

test('writer grows past its initial size and aligns on logical positions', () => {
  const w = new Writer(4, 2);
  w.u8(1).align(8).bytes(Buffer.alloc(100, 9));
  const out = w.finish();
  assert.equal(out.length, 4 + 100);
  assert.deepEqual(out.subarray(0, 4), hex('01 00 00 00'));
});
