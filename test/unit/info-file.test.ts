import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFileInfo, minimumFileInfoLength, type FileInfoContext } from '../../smb2/info/file-info.js';
import { fitInfoOutput } from '../../smb2/info/output-fit.js';
import type { FileRecord } from '../../smb2/info/file-record.js';
import { DecodeError } from '../../wire/decode-error.js';
import { cat, hex, le16, le32, le64, utf16, zeros } from '../support/bytes.js';

const STATUS_INVALID_INFO_CLASS = 0xc0000003;
const STATUS_OBJECT_NAME_NOT_FOUND = 0xc0000034;
const STATUS_NO_EAS_ON_FILE = 0xc0000052;
const STATUS_NOT_SUPPORTED = 0xc00000bb;

const file: FileRecord = {
  name: 'report.txt',
  isDirectory: false,
  size: 123_456,
  allocationSize: 126_976,
  creationTime: 0x01da_0102_0304_0506n,
  lastAccessTime: 0x01da_1112_1314_1516n,
  lastWriteTime: 0x01da_2122_2324_2526n,
  changeTime: 0x01da_3132_3334_3536n,
  fileId: 0x0000_00ab_cdef_0123n,
  attributes: 0x20,
  links: 2,
};
const dir: FileRecord = { ...file, name: 'docs', isDirectory: true, size: 0, allocationSize: 0, attributes: 0x10, links: 3 };
const ctx: FileInfoContext = {
  position: 4096,
  mode: 0x2, // FILE_WRITE_THROUGH
  accessMask: 0x0012019f,
  deletePending: false,
  shareRelativePath: 'docs\\report.txt',
  volumeSerialNumber: 0xdeadbeef,
};

const times = (r: FileRecord): Buffer => cat(le64(r.creationTime), le64(r.lastAccessTime), le64(r.lastWriteTime), le64(r.changeTime));

// [MS-FSCC] 2.4 layouts, field by field.
const basic = (r: FileRecord): Buffer => cat(times(r), le32(r.attributes), le32(0));
const standard = (r: FileRecord, deletePending: boolean): Buffer =>
  cat(le64(r.allocationSize), le64(r.size), le32(r.links), [deletePending ? 1 : 0, r.isDirectory ? 1 : 0], le16(0));
const internal = (r: FileRecord): Buffer => le64(r.fileId);
const nameInfo = (name: string): Buffer => cat(le32(name.length * 2), utf16(name));

test('fixed-size file classes match their [MS-FSCC] layouts', () => {
  const cases: Array<[number, Buffer]> = [
    [0x04, basic(file)],
    [0x05, standard(file, false)],
    [0x06, internal(file)],
    [0x07, le32(0)], // EaSize
    [0x08, le32(ctx.accessMask)],
    [0x0e, le64(ctx.position)],
    [0x10, le32(ctx.mode)],
    [0x11, le32(0)], // FILE_BYTE_ALIGNMENT
    // CompressedFileSize, CompressionFormat(2), CompressionUnitShift, ChunkShift, ClusterShift, Reserved(3)
    [0x1c, cat(le64(file.size), le16(0), [0, 0, 0], zeros(3))],
    // NetworkOpen: times, AllocationSize, EndOfFile, FileAttributes, Reserved
    [0x22, cat(times(file), le64(file.allocationSize), le64(file.size), le32(0x20), le32(0))],
    [0x23, cat(le32(0x20), le32(0))], // FileAttributes, ReparseTag
    [0x3b, cat(le64(0xdeadbeef), le64(file.fileId), le64(0))], // VolumeSerialNumber(8), FileId(16)
  ];
  for (const [cls, want] of cases) {
    const got = encodeFileInfo(cls, file, ctx);
    assert.deepEqual(got, want, `class 0x${cls.toString(16)}`);
    assert.equal(got.length, minimumFileInfoLength[cls]);
  }
});

test('standard information reports directories and a pending delete', () => {
  assert.deepEqual(encodeFileInfo(0x05, dir, { ...ctx, deletePending: true }), standard(dir, true));
  assert.deepEqual(encodeFileInfo(0x04, dir, ctx), basic(dir));
  assert.deepEqual(encodeFileInfo(0x04, { ...file, attributes: 0 }, ctx), basic({ ...file, attributes: 0x80 }));
});

test('name classes: FileNameInformation has one leading backslash, the normalized name none', () => {
  for (const path of ['docs\\report.txt', '\\docs\\report.txt']) {
    const c = { ...ctx, shareRelativePath: path };
    assert.deepEqual(encodeFileInfo(0x09, file, c), nameInfo('\\docs\\report.txt'));
    assert.deepEqual(encodeFileInfo(0x30, file, c), nameInfo('docs\\report.txt'));
  }
  for (const root of ['', '\\']) {
    const c = { ...ctx, shareRelativePath: root };
    assert.deepEqual(encodeFileInfo(0x09, dir, c), nameInfo('\\'));
    assert.deepEqual(encodeFileInfo(0x30, dir, c), nameInfo(''));
  }
});

test('FileAllInformation is the nine structures back to back', () => {
  const want = cat(
    basic(file),
    standard(file, false),
    internal(file),
    le32(0), // EaInformation
    le32(ctx.accessMask),
    le64(ctx.position),
    le32(ctx.mode),
    le32(0), // AlignmentInformation
    nameInfo('\\docs\\report.txt'),
  );
  const got = encodeFileInfo(0x12, file, ctx);
  assert.deepEqual(got, want);
  // 100 fixed bytes (Basic 40, Standard 24, Internal 8, Ea 4, Access 4, Position 8, Mode 4, Alignment 4, name length 4).
  assert.equal(got.length, 100 + 'docs\\report.txt'.length * 2 + 2);
});

test('stream information: one ::$DATA stream for files, none for directories', () => {
  const want = cat(le32(0), le32(14), le64(file.size), le64(file.allocationSize), utf16('::$DATA'));
  assert.deepEqual(encodeFileInfo(0x16, file, ctx), want);
  assert.equal(encodeFileInfo(0x16, dir, ctx).length, 0);
});

test('alternate name information: FileNameLength and the 8.3 name; an 8.3 name is its own', () => {
  assert.deepEqual(encodeFileInfo(0x15, file, ctx), cat(le32(20), utf16('report.txt')));
  assert.deepEqual(encodeFileInfo(0x15, dir, ctx), cat(le32(8), utf16('docs')));
  const long = encodeFileInfo(0x15, { ...file, name: 'Quarterly report 2026.docx' }, ctx);
  assert.equal(long.readUInt32LE(0), long.length - 4);
  assert.match(long.subarray(4).toString('utf16le'), /^QU[0-9A-F]{4}~1\.DOC$/);
});

function assertStatus(fn: () => unknown, status: number): void {
  assert.throws(fn, (e: unknown) => e instanceof DecodeError && e.status === status);
}

test('classes without an answer fail with the status Windows and Samba use', () => {
  assertStatus(() => encodeFileInfo(0x15, { ...dir, name: '' }, ctx), STATUS_OBJECT_NAME_NOT_FOUND); // the share root has no 8.3 name
  assertStatus(() => encodeFileInfo(0x0f, file, ctx), STATUS_NO_EAS_ON_FILE);
  // Documented in [MS-FSCC] 2.4 but not answered here ([MS-SMB2] 3.3.5.20.1): NOT_SUPPORTED.
  for (const cls of [0x01, 0x0a, 0x0d, 0x13, 0x14, 0x17, 0x25, 0x41]) assertStatus(() => encodeFileInfo(cls, file, ctx), STATUS_NOT_SUPPORTED);
  // Not documented at all: INVALID_INFO_CLASS.
  for (const cls of [0x00, 0x1a5, 0x99, 0xff]) assertStatus(() => encodeFileInfo(cls, file, ctx), STATUS_INVALID_INFO_CLASS);
});

test('fitInfoOutput: LENGTH_MISMATCH below the C sizeof, BUFFER_OVERFLOW when the name is cut', () => {
  const all = encodeFileInfo(0x12, file, ctx);
  for (let n = 0; n <= all.length + 4; n++) {
    const { status, buffer } = fitInfoOutput(0x01, 0x12, all, n);
    if (n < 104) {
      assert.equal(status, 0xc0000004, `length ${n}`);
      assert.equal(buffer.length, 0);
    } else if (n < all.length) {
      assert.equal(status, 0x80000005, `length ${n}`);
      assert.deepEqual(buffer, all.subarray(0, n));
    } else {
      assert.equal(status, 0);
      assert.deepEqual(buffer, all);
    }
  }
  const basicBytes = encodeFileInfo(0x04, file, ctx);
  assert.equal(fitInfoOutput(0x01, 0x04, basicBytes, 39).status, 0xc0000004);
  assert.equal(fitInfoOutput(0x01, 0x04, basicBytes, 40).status, 0);
  // A directory's empty stream list fits any buffer, even an empty one.
  assert.equal(fitInfoOutput(0x01, 0x16, encodeFileInfo(0x16, dir, ctx), 0).status, 0);
  // File system classes use their own table: FileFsVolumeInformation takes its C sizeof, 24 bytes.
  const volume = Buffer.alloc(18 + 12);
  assert.equal(fitInfoOutput(0x02, 1, volume, 23).status, 0xc0000004);
  assert.equal(fitInfoOutput(0x02, 1, volume, 24).status, 0x80000005);
  // Likewise FileAllInformation: 104, not its 100-byte fixed part (what smbtorture smb2.getinfo checks).
  const allBytes = encodeFileInfo(0x12, file, ctx);
  assert.equal(fitInfoOutput(0x01, 0x12, allBytes, 103).status, 0xc0000004);
  assert.equal(fitInfoOutput(0x01, 0x12, allBytes, 104).status, 0x80000005);
});

test('FileAllInformation and FileStreamInformation match the bytes Samba 4.17 sent for an 11-byte file', () => {
  // Recorded from smbd 4.17 answering smbclient's "allinfo file.txt" in \sub.
  const t = 0x01dd_7e92_193d_c8f0n;
  const rec: FileRecord = {
    name: 'file.txt',
    isDirectory: false,
    size: 11,
    allocationSize: 4096,
    creationTime: t,
    lastAccessTime: t,
    lastWriteTime: t,
    changeTime: t,
    fileId: 0x20c4e9n,
    attributes: 0x80,
    links: 1,
  };
  const c: FileInfoContext = { position: 0, mode: 0x80, accessMask: 0x80, deletePending: false, shareRelativePath: 'sub\\file.txt' };
  const sambaAll = hex(`
    f0c83d19927edd01 f0c83d19927edd01 f0c83d19927edd01 f0c83d19927edd01 80000000 00000000
    0010000000000000 0b00000000000000 01000000 00 00 0000
    e9c4200000000000 00000000 80000000 0000000000000000 80000000 00000000
    1a000000 5c007300750062005c00660069006c0065002e00740078007400`);
  assert.deepEqual(encodeFileInfo(0x12, rec, c), sambaAll);
  const sambaStream = hex('00000000 0e000000 0b00000000000000 0010000000000000 3a003a0024004400410054004100');
  assert.deepEqual(encodeFileInfo(0x16, rec, c), sambaStream);
});
