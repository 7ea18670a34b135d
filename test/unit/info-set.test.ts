import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSetFileInfo } from '../../smb2/info/set-info.js';
import { DecodeError } from '../../wire/decode-error.js';
import { cat, le16, le32, le64, utf16, zeros } from '../support/bytes.js';

const STATUS_INVALID_INFO_CLASS = 0xc0000003;
const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
const STATUS_INVALID_PARAMETER = 0xc000000d;
const STATUS_NOT_SUPPORTED = 0xc00000bb;

function assertStatus(fn: () => unknown, status: number, what: string): void {
  assert.throws(fn, (e: unknown) => e instanceof DecodeError && e.status === status, what);
}

// [MS-FSCC] 2.4 FILE_RENAME_INFORMATION_TYPE_2: ReplaceIfExists(1) Reserved(7) RootDirectory(8) FileNameLength(4) FileName
const rename = (replace: number, name: string, root = 0n, length = name.length * 2): Buffer =>
  cat([replace], zeros(7), le64(root), le32(length), utf16(name));

const basicBytes = cat(le64(0x01d9_0000_0000_0001n), le64(0), le64(0xffff_ffff_ffff_ffffn), le64(0x01d9_0000_0000_0004n), le32(0x21), le32(0));

/** Each class with a valid buffer, the decoded value and the fixed length below which it is refused. */
const cases: Array<[number, Buffer, unknown, number]> = [
  [
    0x04,
    basicBytes,
    {
      kind: 'basic',
      creationTime: 0x01d9_0000_0000_0001n,
      lastAccessTime: 0n,
      lastWriteTime: 0xffff_ffff_ffff_ffffn,
      changeTime: 0x01d9_0000_0000_0004n,
      attributes: 0x21,
    },
    40,
  ],
  [0x0a, rename(1, 'dir\\new name.txt'), { kind: 'rename', replaceIfExists: true, fileName: 'dir\\new name.txt' }, 20],
  [0x0a, rename(0, 'b'), { kind: 'rename', replaceIfExists: false, fileName: 'b' }, 20],
  [
    0x41,
    cat(le32(0x3), le32(0), le64(0), le32(6), utf16('xyz')),
    { kind: 'rename', replaceIfExists: true, fileName: 'xyz', flags: 0x3 },
    20,
  ],
  [0x0d, Buffer.from([1]), { kind: 'disposition', deletePending: true }, 1],
  [0x0d, Buffer.from([0]), { kind: 'disposition', deletePending: false }, 1],
  [0x40, le32(0x13), { kind: 'disposition-ex', flags: 0x13 }, 4],
  [0x14, le64(1n << 40n), { kind: 'end-of-file', size: 2 ** 40 }, 8],
  [0x13, le64(8192), { kind: 'allocation', size: 8192 }, 8],
  [0x0e, le64(77), { kind: 'position', offset: 77 }, 8],
  [0x10, le32(0x20), { kind: 'mode', mode: 0x20 }, 4],
];

test('each settable class decodes from its [MS-FSCC] layout', () => {
  for (const [cls, buf, want] of cases) {
    assert.deepEqual(decodeSetFileInfo(cls, buf), want, `class 0x${cls.toString(16)}`);
    // Trailing bytes past the structure are ignored, as Windows does.
    assert.deepEqual(decodeSetFileInfo(cls, cat(buf, zeros(8))), want);
  }
});

test('every length below the fixed part is STATUS_INFO_LENGTH_MISMATCH', () => {
  for (const [cls, buf, , min] of cases) {
    for (let n = 0; n < min; n++) {
      assertStatus(() => decodeSetFileInfo(cls, buf.subarray(0, n)), STATUS_INFO_LENGTH_MISMATCH, `class 0x${cls.toString(16)} length ${n}`);
    }
  }
});

test('rename names that run past the buffer, are empty or odd, or use RootDirectory are refused', () => {
  const full = rename(1, 'abc');
  // Every cut of the name: FileNameLength now points past the end.
  for (let n = 20; n < full.length; n++) {
    assertStatus(() => decodeSetFileInfo(0x0a, full.subarray(0, n)), STATUS_INVALID_PARAMETER, `cut at ${n}`);
  }
  assertStatus(() => decodeSetFileInfo(0x0a, rename(1, 'abc', 0n, 0xffff_fff0)), STATUS_INVALID_PARAMETER, 'huge length');
  assertStatus(() => decodeSetFileInfo(0x0a, rename(1, '', 0n, 0)), STATUS_INVALID_PARAMETER, 'empty name');
  assertStatus(() => decodeSetFileInfo(0x0a, rename(1, 'abc', 0n, 5)), STATUS_INVALID_PARAMETER, 'odd length');
  assertStatus(() => decodeSetFileInfo(0x0a, rename(1, 'abc', 5n)), STATUS_INVALID_PARAMETER, 'RootDirectory');
  // A shorter FileNameLength than the bytes present takes only what it says.
  assert.deepEqual(decodeSetFileInfo(0x0a, rename(0, 'abc', 0n, 4)), { kind: 'rename', replaceIfExists: false, fileName: 'ab' });
});

test('negative or oversized 64-bit sizes are STATUS_INVALID_PARAMETER', () => {
  for (const cls of [0x13, 0x14, 0x0e]) {
    assertStatus(() => decodeSetFileInfo(cls, le64(0xffff_ffff_ffff_ffffn)), STATUS_INVALID_PARAMETER, `class ${cls} -1`);
    assertStatus(() => decodeSetFileInfo(cls, le64(1n << 60n)), STATUS_INVALID_PARAMETER, `class ${cls} 2^60`);
  }
});

test('classes that cannot be set are refused with the [MS-SMB2] 3.3.5.21.1 statuses', () => {
  for (const cls of [0x01, 0x05, 0x06, 0x12, 0x22, 0x99]) {
    assertStatus(() => decodeSetFileInfo(cls, zeros(64)), STATUS_INVALID_INFO_CLASS, `class 0x${cls.toString(16)}`);
  }
  for (const cls of [0x0b, 0x27, 0x28]) {
    assertStatus(() => decodeSetFileInfo(cls, zeros(64)), STATUS_NOT_SUPPORTED, `class 0x${cls.toString(16)}`);
  }
});

test('FileFullEaInformation decodes an EA list; an empty name is INVALID_PARAMETER, under 8 bytes INFO_LENGTH_MISMATCH', () => {
  // NextEntryOffset 0, Flags 0, EaNameLength 1, EaValueLength 2, "A", NUL, "hi"
  assert.deepEqual(decodeSetFileInfo(0x0f, cat(le32(0), [0, 1], le16(2), [0x41, 0], [0x68, 0x69])), { kind: 'eas', eas: [{ name: 'A', flags: 0, value: Buffer.from('hi') }] });
  assertStatus(() => decodeSetFileInfo(0x0f, zeros(64)), STATUS_INVALID_PARAMETER, 'empty EA name');
  assertStatus(() => decodeSetFileInfo(0x0f, zeros(7)), STATUS_INFO_LENGTH_MISMATCH, 'short EA list');
});
