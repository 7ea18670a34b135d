import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, le16, le32 } from '../support/bytes.js';
import { Writer } from '../../wire/index.js';

test('fillOffset back-fills reserved u8/u16/u32 fields with the logical position of what follows', () => {
  const w = new Writer(64, 4);
  const a = w.reserveU8();
  const b = w.reserveU16();
  const c = w.reserveU32();
  w.u8(0xee);
  w.fillOffsetU8(a).fillOffsetU16(b).fillOffsetU32(c);
  w.u8(0xff);
  assert.deepEqual(w.finish(), cat([72], le16(72), le32(72), [0xee, 0xff]));
});

test('finish() hands out the writer storage as a Buffer view, no copy', () => {
  const w = new Writer(0, 16).u32(1);
  const out = w.finish();
  assert.ok(Buffer.isBuffer(out));
  w.fillU32(0, 2); // the writer must not be used after finish(); this only shows the bytes are shared
  assert.deepEqual(out, le32(2));
});
