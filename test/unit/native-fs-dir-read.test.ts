// readDirectoryAt and readDirectoryNext: getdents64 + statx beneath a directory descriptor, packed records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFsBinding, type FsBinding, type FsDirBatch } from '../../native/fs.js';
import { DIR_RECORD } from '../../server/host-fs.js';

const loaded = loadFsBinding();
if ('error' in loaded) throw new Error(loaded.error);
const fs: FsBinding = loaded.binding;
const c = fs.constants;
const AT_FDCWD = -100;

interface Row {
  name: string;
  cookie: bigint;
  ino: bigint;
  size: bigint;
  mode: number;
  nlink: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  atimeNs: bigint;
  type: number;
  statError: number;
}

/** The records decoded field by field with DIR_RECORD (what the server reads). */
function rows(batch: FsDirBatch): Row[] {
  const r = batch.records;
  assert.equal(r.length % DIR_RECORD.SIZE, 0);
  const out: Row[] = [];
  const ns = (secAt: number, nsecAt: number): bigint => r.readBigInt64LE(secAt) * 1_000_000_000n + BigInt(r.readUInt32LE(nsecAt));
  for (let at = 0; at < r.length; at += DIR_RECORD.SIZE) {
    const off = r.readUInt32LE(at + DIR_RECORD.NAME_OFFSET);
    out.push({
      name: batch.names.subarray(off, off + r.readUInt16LE(at + DIR_RECORD.NAME_LENGTH)).toString(),
      cookie: r.readBigInt64LE(at + DIR_RECORD.COOKIE),
      ino: r.readBigUInt64LE(at + DIR_RECORD.INO),
      size: r.readBigUInt64LE(at + DIR_RECORD.FILE_SIZE),
      mode: r.readUInt32LE(at + DIR_RECORD.MODE),
      nlink: r.readUInt32LE(at + DIR_RECORD.NLINK),
      mtimeNs: ns(at + DIR_RECORD.MTIME_SEC, at + DIR_RECORD.MTIME_NSEC),
      ctimeNs: ns(at + DIR_RECORD.CTIME_SEC, at + DIR_RECORD.CTIME_NSEC),
      atimeNs: ns(at + DIR_RECORD.ATIME_SEC, at + DIR_RECORD.ATIME_NSEC),
      type: r[at + DIR_RECORD.TYPE]!,
      statError: r.readInt32LE(at + DIR_RECORD.STAT_ERROR),
    });
  }
  return out;
}

async function withDir(body: (dir: string, outside: string) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'spliced-dirread-'));
  const dir = join(base, 'dir');
  const outside = join(base, 'outside');
  await mkdir(dir);
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), Buffer.alloc(4321));
  try {
    await body(dir, outside);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function errnoOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.equal(typeof (err as { errno?: unknown }).errno, 'number');
    return (err as { code: string }).code;
  }
  return 'resolved';
}

test('readDirectoryAt: every entry once across batches resumed by cookie, with its lstat', async () => {
  await withDir(async (dir, outside) => {
    const names = Array.from({ length: 700 }, (_, i) => `f-${i}-${'x'.repeat(i % 40)}`);
    for (const [i, n] of names.entries()) await writeFile(join(dir, n), Buffer.alloc(i));
    await mkdir(join(dir, 'sub'));
    await symlink(join(outside, 'secret'), join(dir, 'out-link'));
    // An O_PATH descriptor, as the server holds for an open directory.
    const fd = await fs.openat2(AT_FDCWD, dir, c.O_PATH | c.O_DIRECTORY, 0, 0);
    try {
      const seen: Row[] = [];
      let cookie = 0n;
      let batches = 0;
      for (;;) {
        const batch = await fs.readDirectoryAt(fd, cookie, 64);
        const got = rows(batch);
        assert.ok(got.length <= 64, `${got.length} entries for max 64`);
        seen.push(...got);
        batches++;
        if (batch.end) break;
        assert.equal(got.length, 64, 'a batch short of max is the end');
        cookie = got[got.length - 1]!.cookie;
      }
      assert.ok(batches >= 11, `${batches} batches`);
      const listed = seen.map((r) => r.name).sort();
      assert.deepEqual(listed, [...names, 'sub', 'out-link'].sort(), 'every name exactly once, no . or ..');
      for (const row of seen) {
        const st = await lstat(join(dir, row.name), { bigint: true });
        assert.equal(row.statError, 0);
        assert.equal(row.ino, st.ino, row.name);
        assert.equal(row.size, st.size, row.name);
        assert.equal(row.mode, Number(st.mode), row.name);
        assert.equal(row.nlink, Number(st.nlink), row.name);
        assert.equal(row.mtimeNs, st.mtimeNs, row.name);
        assert.equal(row.ctimeNs, st.ctimeNs, row.name);
      }
      const link = seen.find((r) => r.name === 'out-link')!;
      assert.equal(link.mode & 0o170000, 0o120000, 'the symlink itself, not its target outside');
      assert.equal(link.type, c.DT_LNK);
      assert.notEqual(link.size, 4321n);
      assert.equal(seen.find((r) => r.name === 'sub')!.type, c.DT_DIR);
    } finally {
      closeSync(fd);
    }
  });
});

test('readDirectoryAt: an entry removed before its batch is left out; the cursor survives removals', async () => {
  await withDir(async (dir) => {
    for (let i = 0; i < 50; i++) await writeFile(join(dir, `e${i}`), '');
    const fd = openSync(dir, 'r');
    try {
      const first = rows(await fs.readDirectoryAt(fd, 0n, 10));
      const rest = rows(await fs.readDirectoryAt(fd, 0n, 1000)).slice(10);
      await unlink(join(dir, rest[0]!.name));
      const after = rows(await fs.readDirectoryAt(fd, first[9]!.cookie, 1000));
      assert.deepEqual(after.map((r) => r.name), rest.slice(1).map((r) => r.name));
    } finally {
      closeSync(fd);
    }
  });
});

test('readDirectoryAt error paths: ENOTDIR, EBADF, bad arguments', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'plain'), 'x');
    const file = openSync(join(dir, 'plain'), 'r');
    const filePath = await fs.openat2(AT_FDCWD, join(dir, 'plain'), c.O_PATH, 0, 0);
    const closed = openSync(dir, 'r');
    closeSync(closed);
    try {
      assert.equal(await errnoOf(fs.readDirectoryAt(file, 0n, 10)), 'ENOTDIR');
      assert.equal(await errnoOf(fs.readDirectoryAt(filePath, 0n, 10)), 'ENOTDIR');
      assert.equal(await errnoOf(fs.readDirectoryAt(closed, 0n, 10)), 'EBADF');
      assert.equal(await errnoOf(fs.readDirectoryAt(-1, 0n, 10)), 'EBADF');
    } finally {
      closeSync(file);
      closeSync(filePath);
    }
    const fd = openSync(dir, 'r');
    try {
      assert.throws(() => fs.readDirectoryAt(fd, 0n, 0), RangeError);
      assert.throws(() => fs.readDirectoryAt(fd, 0n, 65537), RangeError);
      assert.throws(() => fs.readDirectoryAt(fd, -1n, 10), RangeError);
      assert.throws(() => fs.readDirectoryAt(fd, 0 as unknown as bigint, 10), TypeError);
    } finally {
      closeSync(fd);
    }
  });
});

test('readDirectoryNext: batches from the descriptor’s own offset, every entry once, a bounded overshoot past max', async () => {
  await withDir(async (dir, outside) => {
    const names = Array.from({ length: 1500 }, (_, i) => `f${i}`);
    for (const n of names) await writeFile(join(dir, n), '');
    await symlink(outside, join(dir, 'out-link'));
    const fd = openSync(dir, 'r');
    try {
      const seen: Row[] = [];
      let batches = 0;
      for (;;) {
        const batch = await fs.readDirectoryNext(fd, 200);
        const got = rows(batch);
        assert.ok(got.length >= 200 || batch.end, `${got.length} entries before the end`);
        assert.ok(got.length < 300, `${got.length} entries: the overshoot stays within one small getdents64 buffer`);
        seen.push(...got);
        batches++;
        if (batch.end) break;
      }
      assert.ok(batches >= 6, `${batches} batches`);
      assert.deepEqual(seen.map((r) => r.name).sort(), [...names, 'out-link'].sort());
      assert.equal(seen.find((r) => r.name === 'out-link')!.mode & 0o170000, 0o120000, 'the link itself, not its target outside');
      assert.equal((await fs.readDirectoryNext(fd, 10)).records.length, 0, 'at the end it stays at the end');
    } finally {
      closeSync(fd);
    }
  });
});

test('readDirectoryNext error paths: ENOTDIR, EBADF, bad arguments', async () => {
  await withDir(async (dir) => {
    await writeFile(join(dir, 'plain'), 'x');
    const file = openSync(join(dir, 'plain'), 'r');
    try {
      assert.equal(await errnoOf(fs.readDirectoryNext(file, 10)), 'ENOTDIR');
      assert.equal(await errnoOf(fs.readDirectoryNext(-1, 10)), 'EBADF');
    } finally {
      closeSync(file);
    }
    const fd = openSync(dir, 'r');
    try {
      assert.throws(() => fs.readDirectoryNext(fd, 0), RangeError);
      assert.throws(() => fs.readDirectoryNext(fd, 65537), RangeError);
      assert.throws(() => fs.readDirectoryNext('3' as unknown as number, 10), TypeError);
    } finally {
      closeSync(fd);
    }
  });
});
