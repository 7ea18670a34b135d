import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeDirectoryEntries } from '../../smb2/info/directory-entries.js';
import type { FileRecord } from '../../smb2/info/file-record.js';
import { DecodeError } from '../../wire/decode-error.js';
import { cat, hex, le16, le32, le64, utf16, zeros } from '../support/bytes.js';

const STATUS_INVALID_INFO_CLASS = 0xc0000003;

function record(name: string, overrides: Partial<FileRecord> = {}): FileRecord {
  return {
    name,
    isDirectory: false,
    size: 5000,
    allocationSize: 8192,
    creationTime: 0x01d9_1111_2222_3333n,
    lastAccessTime: 0x01d9_4444_5555_6666n,
    lastWriteTime: 0x01d9_7777_8888_9999n,
    changeTime: 0x01d9_aaaa_bbbb_ccccn,
    fileId: 0x1122_3344_5566_7788n,
    attributes: 0x20,
    links: 1,
    ...overrides,
  };
}

/** FileIndex through FileAttributes, common to every class but FileNamesInformation ([MS-FSCC] 2.4). */
function core(r: FileRecord): Buffer {
  return cat(
    le32(0), // FileIndex
    le64(r.creationTime),
    le64(r.lastAccessTime),
    le64(r.lastWriteTime),
    le64(r.changeTime),
    le64(r.size),
    le64(r.allocationSize),
    le32(r.attributes),
  );
}

/**
 * ShortNameLength(1), Reserved(1), ShortName(24): empty for names of 8.3 form; the generated names of
 * the other names used here are pinned (their form is checked in info-short-name.test.ts).
 */
const GENERATED_SHORT: Record<string, string> = { 'Ünïcødé 文件': 'NCB6FF~1', 'first-entry.dat': 'FIC021~1.DAT', 'some longer name.txt': 'SO2ABE~1.TXT' };
function shortName(name: string): Buffer {
  const short = GENERATED_SHORT[name] ?? '';
  return cat([short.length * 2, 0], utf16(short), zeros(24 - short.length * 2));
}

/** Each class's bytes for one entry, spelled out from the [MS-FSCC] 2.4 layouts. */
const expected: Record<number, (r: FileRecord, next: number) => Buffer> = {
  // FileDirectoryInformation
  0x01: (r, next) => cat(le32(next), core(r), le32(r.name.length * 2), utf16(r.name)),
  // FileFullDirectoryInformation: + EaSize
  0x02: (r, next) => cat(le32(next), core(r), le32(r.name.length * 2), le32(0), utf16(r.name)),
  // FileBothDirectoryInformation: + EaSize, ShortNameLength(1), Reserved(1), ShortName(24)
  0x03: (r, next) => cat(le32(next), core(r), le32(r.name.length * 2), le32(0), shortName(r.name), utf16(r.name)),
  // FileNamesInformation: NextEntryOffset, FileIndex, FileNameLength, FileName
  0x0c: (r, next) => cat(le32(next), le32(0), le32(r.name.length * 2), utf16(r.name)),
  // FileIdBothDirectoryInformation: Both + Reserved2(2) + FileId(8)
  0x25: (r, next) =>
    cat(le32(next), core(r), le32(r.name.length * 2), le32(0), shortName(r.name), le16(0), le64(r.fileId), utf16(r.name)),
  // FileIdFullDirectoryInformation: Full + Reserved(4) + FileId(8)
  0x26: (r, next) => cat(le32(next), core(r), le32(r.name.length * 2), le32(0), le32(0), le64(r.fileId), utf16(r.name)),
  // FileIdExtdDirectoryInformation: EaSize, ReparsePointTag, FileId(16)
  0x3c: (r, next) =>
    cat(le32(next), core(r), le32(r.name.length * 2), le32(0), le32(0), le64(r.fileId), le64(0), utf16(r.name)),
};

const fixedSizes: Record<number, number> = { 0x01: 64, 0x02: 68, 0x03: 94, 0x0c: 12, 0x25: 104, 0x26: 80, 0x3c: 88 };
const classes = Object.keys(expected).map(Number);

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

test('each directory class encodes one entry exactly as [MS-FSCC] lays it out', () => {
  const r = record('hello.txt');
  for (const cls of classes) {
    const { buffer, count } = encodeDirectoryEntries(cls, [r], 65536, false);
    assert.equal(count, 1, `class ${cls}`);
    assert.deepEqual(buffer, expected[cls]!(r, 0), `class 0x${cls.toString(16)}`);
    assert.equal(buffer.length, fixedSizes[cls]! + 18);
  }
});

test('directories, empty attributes and non-ASCII names', () => {
  const dir = record('Ünïcødé 文件', { isDirectory: true, size: 0, allocationSize: 0, attributes: 0x10 });
  const noAttrs = record('plain', { attributes: 0 });
  for (const cls of classes) {
    assert.deepEqual(encodeDirectoryEntries(cls, [dir], 4096, true).buffer, expected[cls]!(dir, 0));
    // An empty attribute set is sent as FILE_ATTRIBUTE_NORMAL.
    assert.deepEqual(encodeDirectoryEntries(cls, [noAttrs], 4096, true).buffer, expected[cls]!({ ...noAttrs, attributes: 0x80 }, 0));
  }
});

test('entries are chained on 8-byte boundaries with zero padding and no trailing padding', () => {
  const names = ['.', '..', 'a', 'bb', 'ccc', 'dddd', 'some longer name.txt'];
  const recs = names.map((n, i) => record(n, { fileId: BigInt(100 + i), size: i * 1000 }));
  for (const cls of classes) {
    const { buffer, count } = encodeDirectoryEntries(cls, recs, 1 << 20, false);
    assert.equal(count, recs.length);
    const parts = recs.map((r, i) => {
      const size = fixedSizes[cls]! + r.name.length * 2;
      const last = i === recs.length - 1;
      const next = last ? 0 : align8(size);
      return cat(expected[cls]!(r, next), zeros(last ? 0 : align8(size) - size));
    });
    assert.deepEqual(buffer, Buffer.concat(parts), `class 0x${cls.toString(16)}`);
    // Walk the chain independently.
    let at = 0;
    let seen = 0;
    for (;;) {
      seen++;
      const next = buffer.readUInt32LE(at);
      if (next === 0) break;
      assert.equal(next % 8, 0);
      at += next;
    }
    assert.equal(seen, recs.length);
  }
});

test('maxBytes cut-offs at every byte around the first and second entries', () => {
  const first = record('first-entry.dat');
  const second = record('second');
  for (const cls of classes) {
    const s1 = fixedSizes[cls]! + first.name.length * 2;
    const s2 = fixedSizes[cls]! + second.name.length * 2;
    const a1 = align8(s1);
    for (let max = 0; max <= a1 + s2 + 9; max++) {
      const { buffer, count } = encodeDirectoryEntries(cls, [first, second], max, false);
      const want = max < s1 ? 0 : max < a1 + s2 ? 1 : 2;
      assert.equal(count, want, `class 0x${cls.toString(16)} max ${max}`);
      const wantLength = want === 0 ? 0 : want === 1 ? s1 : a1 + s2;
      assert.equal(buffer.length, wantLength);
      if (want === 1) assert.deepEqual(buffer, expected[cls]!(first, 0));
      if (want >= 1) assert.ok(buffer.length <= max);
    }
  }
});

test('singleEntry returns one entry even when more fit, and nothing for an empty list', () => {
  const recs = [record('one'), record('two'), record('three')];
  for (const cls of classes) {
    const single = encodeDirectoryEntries(cls, recs, 65536, true);
    assert.equal(single.count, 1);
    assert.deepEqual(single.buffer, expected[cls]!(recs[0]!, 0));
    const none = encodeDirectoryEntries(cls, [], 65536, false);
    assert.equal(none.count, 0);
    assert.equal(none.buffer.length, 0);
  }
});

test('unsupported directory classes fail with STATUS_INVALID_INFO_CLASS', () => {
  for (const cls of [0x00, 0x04, 0x12, 0x32, 0x3f, 0x4e, 0xff]) {
    assert.throws(
      () => encodeDirectoryEntries(cls, [record('x')], 4096, false),
      (e: unknown) => e instanceof DecodeError && e.status === STATUS_INVALID_INFO_CLASS,
    );
  }
});

test('a listing matches the bytes Samba 4.17 sent for the same directory (FileIdBothDirectoryInformation)', () => {
  // Recorded from smbd 4.17 answering smbclient's "ls" in a directory holding one 11-byte file.
  const samba = hex(`
    70000000 00000000 f0c83d19927edd01 866c4019927edd01 f0c83d19927edd01 f0c83d19927edd01
    0000000000000000 0000000000000000 10000000 02000000 00000000 00 00 ${'00'.repeat(24)} 0000
    e8c4200000000000 2e00 000000000000
    70000000 00000000 f0c83d19927edd01 dc6b4019927edd01 f0c83d19927edd01 f0c83d19927edd01
    0000000000000000 0000000000000000 10000000 04000000 00000000 00 00 ${'00'.repeat(24)} 0000
    e7c4200000000000 2e002e00 00000000
    00000000 00000000 f0c83d19927edd01 f0c83d19927edd01 f0c83d19927edd01 f0c83d19927edd01
    0b00000000000000 0010000000000000 80000000 10000000 00000000 00 00 ${'00'.repeat(24)} 0000
    e9c4200000000000 660069006c0065002e00740078007400`);
  const t = 0x01dd_7e92_193d_c8f0n;
  const dirEntry = { isDirectory: true, size: 0, allocationSize: 0, attributes: 0x10, links: 2 };
  const recs: FileRecord[] = [
    { ...record('.'), ...dirEntry, creationTime: t, lastAccessTime: 0x01dd_7e92_1940_6c86n, lastWriteTime: t, changeTime: t, fileId: 0x20c4e8n },
    { ...record('..'), ...dirEntry, creationTime: t, lastAccessTime: 0x01dd_7e92_1940_6bdcn, lastWriteTime: t, changeTime: t, fileId: 0x20c4e7n },
    { ...record('file.txt'), size: 11, allocationSize: 4096, attributes: 0x80, creationTime: t, lastAccessTime: t, lastWriteTime: t, changeTime: t, fileId: 0x20c4e9n },
  ];
  const { buffer, count } = encodeDirectoryEntries(0x25, recs, 8 * 1024 * 1024, false);
  assert.equal(count, 3);
  assert.deepEqual(buffer, samba);
});
