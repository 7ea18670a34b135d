// FILE_FULL_EA_INFORMATION lists ([MS-FSCC] 2.4.15) against bytes spelled out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEaList, eaListSize, encodeEaList } from '../../smb2/info/extended-attributes.js';
import { DecodeError } from '../../wire/decode-error.js';
import { cat, le16, le32, splits, zeros } from '../support/bytes.js';

/** One entry: NextEntryOffset, Flags, EaNameLength, EaValueLength, name, NUL, value. */
const entry = (next: number, name: string, value: string, flags = 0) =>
  cat(le32(next), [flags, name.length], le16(value.length), Buffer.from(name, 'latin1'), [0], Buffer.from(value, 'latin1'));

// EAONE/VALUE1 is 8 + 5 + 1 + 6 = 20 bytes (already 4-aligned); SECONDEA/ValueTwo 8 + 8 + 1 + 8 = 25.
const TWO = cat(entry(20, 'EAONE', 'VALUE1'), entry(0, 'SECONDEA', 'ValueTwo'));

test('a two-entry list encodes with 4-byte aligned entries and decodes back (names upper case)', () => {
  const eas = [
    { name: 'EAONE', value: Buffer.from('VALUE1'), flags: 0 },
    { name: 'SECONDEA', value: Buffer.from('ValueTwo'), flags: 0 },
  ];
  assert.deepEqual(encodeEaList(eas), TWO);
  assert.equal(eaListSize(eas), TWO.length);
  assert.equal(eaListSize([]), 0);
  assert.deepEqual(decodeEaList(TWO), eas);
  const odd = cat(entry(16, 'AB', 'xyz'), zeros(2), entry(0, 'lower', 'v', 0x80)); // 8 + 2 + 1 + 3 = 14, padded to 16
  assert.deepEqual(decodeEaList(odd), [
    { name: 'AB', value: Buffer.from('xyz'), flags: 0 },
    { name: 'LOWER', value: Buffer.from('v'), flags: 0x80 },
  ]);
  assert.deepEqual(encodeEaList(decodeEaList(odd)), cat(entry(16, 'AB', 'xyz'), zeros(2), entry(0, 'LOWER', 'v', 0x80)));
});

function rejects(buf: Buffer): void {
  assert.throws(() => decodeEaList(buf), (e: unknown) => e instanceof DecodeError && e.status === 0xc000000d, buf.toString('hex'));
}

test('malformed lists are INVALID_PARAMETER: truncation, a missing NUL, bad names, offsets that go back or past the end', () => {
  for (const [head] of splits(TWO)) if (head.length > 0 && head.length < 20) rejects(head);
  rejects(cat(le32(0), [0, 2], le16(1), Buffer.from('AB'), [1], Buffer.from('x')));
  for (const bad of ['A:B', 'A*', 'A\\B', '\u0001']) rejects(entry(0, bad, 'v'));
  rejects(entry(0, '', 'v'));
  rejects(cat(entry(4, 'EAONE', 'VALUE1'), entry(0, 'X', 'y')));
  rejects(cat(entry(22, 'EAONE', 'VALUE1'), entry(0, 'X', 'y')));
  rejects(cat(entry(400, 'EAONE', 'VALUE1'), entry(0, 'X', 'y')));
});
