// The listing's allocation-free encoding path: FILETIME words from (sec, nsec) and entries
// written into a response writer that already holds a header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFileTimeWords, setU64Words } from '../../smb2/info/filetime-words.js';
import { fileTimeFromNs } from '../../smb2/info/filetime.js';
import { DirectoryEntry, DirectoryEntryWriter, EntryWord, encodeDirectoryEntries, entryFromRecord } from '../../smb2/info/directory-entries.js';
import type { FileRecord } from '../../smb2/info/file-record.js';
import { Writer } from '../../wire/writer.js';
import { cat, le16, le32, le64, utf16 } from '../support/bytes.js';
import { encodeQueryDirectoryResponse, startQueryDirectoryResponse } from '../../smb2/commands/query-directory.js';

function words(sec: number, nsec: number): bigint {
  const w = new Uint32Array(2);
  setFileTimeWords(w, 0, sec, nsec);
  return (BigInt(w[1]!) << 32n) | BigInt(w[0]!);
}

test('setFileTimeWords equals fileTimeFromNs (the bigint reference) at the edges and at random', () => {
  const EPOCH_1601 = -11_644_473_600;
  const cases: Array<[number, number]> = [
    [0, 0],
    [0, 99],
    [0, 100],
    [0, 999_999_999],
    [1_700_000_000, 123_456_789],
    [-1, 999_999_999],
    [EPOCH_1601, 0],
    [EPOCH_1601, 12_345],
    [EPOCH_1601 - 1, 999_999_999], // just before 1601: clamps to 0
    [-20_000_000_000, 5],
    [2 ** 32, 1],
    [253_402_300_799, 999_999_999], // 9999-12-31T23:59:59
    [2 ** 38, 700],
  ];
  for (let i = 0; i < 20_000; i++) {
    const sec = Math.floor((Math.random() * 2 - 1) * 2 ** 36);
    cases.push([sec, Math.floor(Math.random() * 1e9)]);
  }
  for (const [sec, nsec] of cases) {
    const reference = fileTimeFromNs(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    assert.equal(words(sec, nsec), reference, `sec ${sec} nsec ${nsec}`);
  }
});

test('setFileTimeWords clamps times past 64-bit FILETIMEs instead of wrapping', () => {
  assert.ok(words(2 ** 45, 0) >= words(2 ** 40, 0));
  assert.ok(words(Number.MAX_SAFE_INTEGER, 0) < 2n ** 64n);
});

test('setU64Words splits any u64', () => {
  const w = new Uint32Array(2);
  for (const v of [0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0x1122_3344_5566_7788n, 2n ** 64n - 1n]) {
    setU64Words(w, 0, v);
    assert.equal((BigInt(w[1]!) << 32n) | BigInt(w[0]!), v);
  }
});

function record(name: string, i: number): FileRecord {
  return {
    name,
    isDirectory: false,
    size: 2 ** 40 + i, // past 32 bits: both words of EndOfFile matter
    allocationSize: 2 ** 40 + 4096,
    creationTime: 0x01d9_1111_2222_3333n + BigInt(i),
    lastAccessTime: 0x01d9_4444_5555_6666n,
    lastWriteTime: 0x01d9_7777_8888_9999n,
    changeTime: 0x01d9_aaaa_bbbb_ccccn,
    fileId: 0xf122_3344_5566_7788n + BigInt(i),
    attributes: 0x21,
    links: 1,
  };
}

test('entries written after a response header: alignment and limits count from the output buffer, not the writer', () => {
  const recs = ['a', 'bcd', 'long-name.txt', 'x'].map(record);
  for (const cls of [0x01, 0x25, 0x3c]) {
    const alone = encodeDirectoryEntries(cls, recs, 400, false);
    for (const header of [0, 3, 8, 13]) {
      const w = new Writer(64, 16);
      w.zeros(header);
      const out = new DirectoryEntryWriter(w, cls, 400, false);
      const entry = new DirectoryEntry();
      let n = 0;
      for (const r of recs) if (out.add(entryFromRecord(r, entry))) n++;
      else break;
      assert.equal(n, alone.count, `class ${cls} header ${header}`);
      assert.deepEqual(w.finish().subarray(header), alone.buffer, `class ${cls} header ${header}`);
      assert.ok(alone.buffer.length <= 400);
    }
  }
});

test('FileDirectoryInformation from DirectoryEntry words: golden bytes, sizes past 32 bits', () => {
  const e = new DirectoryEntry();
  e.name = 'big.bin';
  e.size = 2 ** 40 + 5;
  e.allocationSize = 2 ** 40 + 4096;
  e.attributes = 0;
  setU64Words(e.words, EntryWord.CREATION, 0x0102_0304_0506_0708n);
  setU64Words(e.words, EntryWord.LAST_ACCESS, 0x1112_1314_1516_1718n);
  setU64Words(e.words, EntryWord.LAST_WRITE, 0x2122_2324_2526_2728n);
  setU64Words(e.words, EntryWord.CHANGE, 0x3132_3334_3536_3738n);
  const w = new Writer(0, 8);
  const out = new DirectoryEntryWriter(w, 0x01, 1000, false);
  assert.equal(out.add(e), true);
  // [MS-FSCC] 2.4.10: NextEntryOffset, FileIndex, 4 times, EndOfFile, AllocationSize, FileAttributes (NORMAL for none), FileNameLength, FileName.
  const want = cat(le32(0), le32(0), le64(0x0102_0304_0506_0708n), le64(0x1112_1314_1516_1718n), le64(0x2122_2324_2526_2728n), le64(0x3132_3334_3536_3738n), le64(2n ** 40n + 5n), le64(2n ** 40n + 4096n), le32(0x80), le32(14), utf16('big.bin'));
  assert.deepEqual(w.finish(), want);
});

test('DirectoryEntryWriter: single entry, full, and roomFor bounds', () => {
  const w = new Writer(0, 8);
  const single = new DirectoryEntryWriter(w, 0x25, 65536, true);
  assert.equal(single.roomFor(10), 1);
  assert.equal(single.add(entryFromRecord(record('one', 1))), true);
  assert.equal(single.full, true);
  assert.equal(single.roomFor(10), 0);
  assert.equal(single.add(entryFromRecord(record('two', 2))), false);
  const small = new DirectoryEntryWriter(new Writer(0, 8), 0x25, 200, false);
  assert.equal(small.full, false);
  // 104 fixed + 2 per unit, 8-aligned: 200 bytes hold one entry of 10 units and the start of a next.
  assert.ok(small.roomFor(10) >= 1 && small.roomFor(10) <= 2);
  assert.equal(small.add(entryFromRecord(record('0123456789', 3))), true);
  assert.equal(small.full, true, 'another fixed part no longer fits');
  assert.equal(new DirectoryEntryWriter(new Writer(0, 8), 0x25, 103, false).full, true);
});

test('startQueryDirectoryResponse: [MS-SMB2] 2.2.34 StructureSize 9, OutputBufferOffset 72, OutputBufferLength back-filled', () => {
  const recs = ['one', 'two'].map(record);
  const response = startQueryDirectoryResponse(4096);
  const out = new DirectoryEntryWriter(response.writer, 0x25, 4096, false);
  for (const r of recs) assert.equal(out.add(entryFromRecord(r)), true);
  const body = response.finish();
  const entries = encodeDirectoryEntries(0x25, recs, 4096, false).buffer;
  assert.deepEqual(body, cat(le16(9), le16(64 + 8), le32(entries.length), entries));
  assert.deepEqual(body, encodeQueryDirectoryResponse(entries), 'the same bytes as the copying encoder');
});
