import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { PageCache, PAGE_SIZE, type PageCacheOptions } from '../../cache/index.js';
import { startServer, TEST_USER, TEST_PASSWORD } from '../support/server-fixture.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Access } from '../../smb2/constants.js';
import { withTempCache } from '../support/temp-cache.js';
import { loadFsBinding, writeRunsStatted } from '../../native/fs.js';

/** The issue allows a second; wait a little longer so the test does not race the bound. */
const SETTLE_MS = 1100;
const SIZE = 4 * PAGE_SIZE;

/** Whole seconds, so that restoring the mtime through utimes() is exact to the nanosecond. */
const PINNED_MTIME = 1_700_000_000;

async function writeWithPinnedMtime(path: string, data: Buffer): Promise<void> {
  await writeFile(path, data);
  await utimes(path, PINNED_MTIME, PINNED_MTIME);
}

/** Rewrite the file in place (same inode, same size) and put its old mtime back, as a sneaky local process would. */
async function rewriteInPlaceKeepingMtime(path: string, data: Buffer): Promise<void> {
  const before = await stat(path, { bigint: true });
  const fh = await open(path, 'r+');
  await fh.write(data, 0, data.length, 0);
  await fh.close();
  await utimes(path, PINNED_MTIME, PINNED_MTIME);
  const after = await stat(path, { bigint: true });
  assert.deepEqual([after.ino, after.size, after.mtimeNs], [before.ino, before.size, before.mtimeNs], 'only ctime tells');
}

function withCachedFile(body: (cache: PageCache, path: string) => Promise<void>, options: PageCacheOptions = {}): Promise<void> {
  return withTempCache('spliced-coherence-', { writebackIntervalMs: 0, ...options }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeWithPinnedMtime(path, Buffer.alloc(SIZE, 0x11));
    await body(cache, path);
  });
}

test('a local rewrite with the mtime restored is seen through an open handle and after re-open', async () => {
  await withCachedFile(async (cache, path) => {
    const h = await cache.open(path);
    assert.deepEqual(await cache.read(h, 0, SIZE), Buffer.alloc(SIZE, 0x11));
    await rewriteInPlaceKeepingMtime(path, Buffer.alloc(SIZE, 0x22));
    await sleep(SETTLE_MS);
    assert.deepEqual(await cache.read(h, 0, SIZE), Buffer.alloc(SIZE, 0x22), 'through the open handle');
    await rewriteInPlaceKeepingMtime(path, Buffer.alloc(SIZE, 0x33));
    const again = await cache.open(path);
    assert.deepEqual(await cache.read(again, 0, SIZE), Buffer.alloc(SIZE, 0x33), 'after re-open, at once');
    await cache.close(again);
    await cache.close(h);
  });
});

test('a local change of size, or a new inode under the name, is seen through an open handle', async () => {
  await withCachedFile(async (cache, path) => {
    const h = await cache.open(path);
    assert.deepEqual(await cache.read(h, 0, SIZE), Buffer.alloc(SIZE, 0x11));
    await writeFile(path, Buffer.alloc(SIZE + 100, 0x44));
    await sleep(SETTLE_MS);
    assert.deepEqual(await cache.read(h, 0, 2 * SIZE), Buffer.alloc(SIZE + 100, 0x44));
    await writeFile(`${path}.new`, Buffer.alloc(10, 0x55));
    await rename(`${path}.new`, path);
    const fresh = await cache.open(path);
    assert.deepEqual(await cache.read(fresh, 0, SIZE), Buffer.alloc(10, 0x55), 'a new inode is a new file');
    await cache.close(fresh);
    await cache.close(h);
  });
});

const fsAddon = loadFsBinding();
if ('error' in fsAddon) throw new Error(fsAddon.error);
/** The kernel writes and their fstat calls step by step, or in one job of the addon (as the server runs them). */
const kernelWriteModes: Array<[string, PageCacheOptions]> = [
  ['', {}],
  [', writes and fstats in one addon job', { writeRunsStat: (fd: number, positions: number[], runs: Buffer[][]) => writeRunsStatted(fsAddon.binding, fd, positions, runs) }],
];

for (const [mode, writeOptions] of kernelWriteModes) for (const writeBehind of [false, true]) {
  test(`a 1-byte write after a local change writes only that byte, never the stale cached page${writeBehind ? ' (write-behind)' : ''}${mode}`, async () => {
    await withCachedFile(
      async (cache, path) => {
        const h = await cache.open(path, { writable: true });
        assert.deepEqual(await cache.read(h, 0, SIZE), Buffer.alloc(SIZE, 0x11));
        await rewriteInPlaceKeepingMtime(path, Buffer.alloc(SIZE, 0x66));
        await cache.write(h, 5, Buffer.from([0x77]));
        await cache.write(h, 3000, Buffer.from([0x78, 0x79]));
        await cache.flush(h);
        const expected = Buffer.alloc(SIZE, 0x66);
        expected[5] = 0x77;
        expected[3000] = 0x78;
        expected[3001] = 0x79;
        assert.deepEqual(await readFile(path), expected, 'on disk');
        await sleep(SETTLE_MS);
        assert.deepEqual(await cache.read(h, 0, SIZE), expected, 'through the cache');
        await cache.close(h);
      },
      { writeBehind, ...writeOptions },
    );
  });
}

test('over SMB: a local rewrite is seen by the next READ on an open handle, and a client write does not undo it', async () => {
  const f = await startServer();
  const c = await Smb2Client.connect({ port: f.port });
  try {
    const path = join(f.dir, 'local.bin');
    await writeWithPinnedMtime(path, Buffer.alloc(SIZE, 0x11));
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    const h = await tree.create('local.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0 });
    assert.deepEqual(await tree.read(h.fileId, 0, SIZE), Buffer.alloc(SIZE, 0x11));
    await rewriteInPlaceKeepingMtime(path, Buffer.alloc(SIZE, 0x22));
    await sleep(SETTLE_MS);
    assert.deepEqual(await tree.read(h.fileId, 0, SIZE), Buffer.alloc(SIZE, 0x22), 'the open handle sees the change');
    await rewriteInPlaceKeepingMtime(path, Buffer.alloc(SIZE, 0x33));
    assert.equal(await tree.write(h.fileId, 1, Buffer.from([0x99])), 1);
    await tree.flush(h.fileId);
    const expected = Buffer.alloc(SIZE, 0x33);
    expected[1] = 0x99;
    assert.deepEqual(await readFile(path), expected, 'the client write kept the local change around it');
    await tree.close(h.fileId);
    assert.deepEqual(await tree.readFile('local.bin'), expected, 'a new open reads what is on disk');
  } finally {
    c.close();
    await f.close();
  }
});
