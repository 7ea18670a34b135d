import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFsBinding, type FsBinding } from '../../native/fs.js';

const loaded = loadFsBinding();
if ('error' in loaded) throw new Error(loaded.error); // the server cannot run without it either
const fs: FsBinding = loaded.binding;
const c = fs.constants;
const BENEATH = c.RESOLVE_BENEATH | c.RESOLVE_NO_MAGICLINKS;
const AT_FDCWD = -100;

async function withTree(body: (root: number, dir: string, outside: string) => Promise<void>): Promise<void> {
  const base = await mkdtemp(join(tmpdir(), 'spliced-fsat-'));
  const dir = join(base, 'share');
  const outside = join(base, 'outside');
  await mkdir(join(dir, 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'secret'), 'SECRET');
  await writeFile(join(dir, 'sub', 'inside'), 'INSIDE');
  const root = await fs.openat2(AT_FDCWD, dir, c.O_PATH | c.O_DIRECTORY, 0, 0);
  try {
    await body(root, dir, outside);
  } finally {
    closeSync(root);
    await rm(base, { recursive: true, force: true });
  }
}

async function errnoCode(p: Promise<unknown>): Promise<string> {
  try {
    const fd = await p;
    if (typeof fd === 'number') closeSync(fd);
  } catch (err) {
    assert.equal(typeof (err as { errno?: unknown }).errno, 'number');
    return (err as { code: string }).code;
  }
  return 'resolved';
}

function readAll(fd: number): string {
  const buf = Buffer.alloc(64);
  const n = readSync(fd, buf, 0, buf.length, 0);
  return buf.subarray(0, n).toString();
}

test('openat2 RESOLVE_BENEATH: the man page values of the RESOLVE_ flags', () => {
  // openat2(2), include/uapi/linux/openat2.h
  assert.deepEqual(
    [c.RESOLVE_NO_XDEV, c.RESOLVE_NO_MAGICLINKS, c.RESOLVE_NO_SYMLINKS, c.RESOLVE_BENEATH, c.RESOLVE_IN_ROOT],
    [0x01, 0x02, 0x04, 0x08, 0x10],
  );
});

test('openat2 beneath a share root: inside opens, every escape is EXDEV or ELOOP', async () => {
  await withTree(async (root, dir, outside) => {
    const fd = await fs.openat2(root, 'sub/inside', c.O_RDONLY, 0, BENEATH);
    assert.equal(readAll(fd), 'INSIDE');
    closeSync(fd);
    assert.equal(await errnoCode(fs.openat2(root, '../outside/secret', c.O_RDONLY, 0, BENEATH)), 'EXDEV', 'escape via ..');
    assert.equal(await errnoCode(fs.openat2(root, join(outside, 'secret'), c.O_RDONLY, 0, BENEATH)), 'EXDEV', 'absolute path');
    await symlink(outside, join(dir, 'abs-link'));
    assert.equal(await errnoCode(fs.openat2(root, 'abs-link/secret', c.O_RDONLY, 0, BENEATH)), 'EXDEV', 'absolute symlink');
    await symlink('../../outside', join(dir, 'sub', 'rel-link'));
    assert.equal(await errnoCode(fs.openat2(root, 'sub/rel-link/secret', c.O_RDONLY, 0, BENEATH)), 'EXDEV', 'relative symlink out');
    await symlink('../sub', join(dir, 'sub', 'back'));
    const viaLink = await fs.openat2(root, 'sub/back/inside', c.O_RDONLY, 0, BENEATH);
    assert.equal(readAll(viaLink), 'INSIDE', 'a symlink that stays inside is followed');
    closeSync(viaLink);
    await symlink('loop-b', join(dir, 'loop-a'));
    await symlink('loop-a', join(dir, 'loop-b'));
    assert.equal(await errnoCode(fs.openat2(root, 'loop-a', c.O_RDONLY, 0, BENEATH)), 'ELOOP', 'symlink loop');
  });
});

/** openat2Cached's answer: the descriptor's inode, 'again' (-1), or the errno code it threw. */
function cachedOpen(root: number, path: string): string | bigint {
  let fd: number;
  try {
    fd = fs.openat2Cached!(root, path, c.O_PATH, BENEATH);
  } catch (err) {
    return (err as { code: string }).code;
  }
  if (fd === -1) return 'again';
  try {
    return fstatSync(fd, { bigint: true }).ino;
  } finally {
    closeSync(fd);
  }
}

test('openat2Cached opens O_PATH from the dentry cache in place, with the same walk rules; -1 once the entries are dropped', async () => {
  assert.equal(typeof fs.openat2Cached, 'function');
  await withTree(async (root, dir, outside) => {
    const inode = statSync(join(dir, 'sub', 'inside'), { bigint: true }).ino;
    assert.equal(cachedOpen(root, 'sub/inside'), inode, 'the very file');
    assert.equal(await errnoCode(fs.openat2(root, 'sub/missing', c.O_PATH, 0, BENEATH)), 'ENOENT');
    assert.equal(cachedOpen(root, 'sub/missing'), 'ENOENT', 'a name known to be missing (a negative entry now)');
    assert.throws(() => fs.openat2Cached!(root, 'sub/inside', c.O_RDONLY, BENEATH), /O_PATH/, 'only O_PATH opens run in place');
    for (const way of ['../outside/secret', join(outside, 'secret')]) {
      assert.ok(['EXDEV', 'again'].includes(String(cachedOpen(root, way))), `${way} never opens`);
    }
    await symlink(outside, join(dir, 'abs-link'));
    assert.ok(['EXDEV', 'again'].includes(String(cachedOpen(root, 'abs-link/secret'))), 'an absolute symlink never opens');
    if (process.getuid?.() !== 0) return; // dropping the dentry cache needs root (CI runs as root)
    writeFileSync('/proc/sys/vm/drop_caches', '2');
    assert.equal(cachedOpen(root, 'sub/inside'), 'again', 'after the drop the walk would read the disk: -1');
    const fd = await fs.openat2(root, 'sub/inside', c.O_RDONLY, 0, BENEATH);
    assert.equal(readAll(fd), 'INSIDE', 'the thread pool opens it');
    closeSync(fd);
    assert.equal(cachedOpen(root, 'sub/inside'), inode, 'and the walk is cached again');
  });
});

test('openat2 RESOLVE_NO_MAGICLINKS refuses /proc fd links, even ones pointing inside', async () => {
  await withTree(async (root, dir) => {
    const inside = openSync(join(dir, 'sub', 'inside'), 'r');
    try {
      assert.equal(readAll(await fs.openat2(AT_FDCWD, `/proc/self/fd/${inside}`, c.O_RDONLY, 0, 0)), 'INSIDE', 'without the flag it opens');
      assert.equal(await errnoCode(fs.openat2(AT_FDCWD, `/proc/self/fd/${inside}`, c.O_RDONLY, 0, c.RESOLVE_NO_MAGICLINKS)), 'ELOOP');
      await symlink(`/proc/self/fd/${inside}`, join(dir, 'magic'));
      assert.equal(await errnoCode(fs.openat2(root, 'magic', c.O_RDONLY, 0, BENEATH)), 'EXDEV');
    } finally {
      closeSync(inside);
    }
  });
});

test('mkdirat, statAt without following, renameat2 NOREPLACE and unlinkat', async () => {
  await withTree(async (root, dir) => {
    await fs.mkdirat(root, 'made', 0o755);
    await symlink('made', join(dir, 'made-link'));
    const st = await fs.statAt(root, 'made-link', c.AT_SYMLINK_NOFOLLOW);
    assert.equal(Number(st.mode) & 0o170000, 0o120000, 'the link itself');
    const followed = await fs.statAt(root, 'made-link', 0);
    assert.equal(Number(followed.mode) & 0o170000, 0o040000);
    assert.equal(await errnoCode(fs.renameat2(root, 'made', root, 'sub', c.RENAME_NOREPLACE)), 'EEXIST');
    await fs.renameat2(root, 'made', root, 'renamed', c.RENAME_NOREPLACE);
    assert.equal(await errnoCode(fs.unlinkat(root, 'renamed', 0)), 'EISDIR');
    await fs.unlinkat(root, 'renamed', c.AT_REMOVEDIR);
    await fs.unlinkat(root, 'made-link', 0);
    assert.deepEqual((await readdir(dir)).sort(), ['sub']);
    assert.equal(await errnoCode(fs.statAt(root, 'nothing', 0)), 'ENOENT');
  });
});
