/**
 * Stable pages and durability, end to end: through CacheFileIoProvider (the SMB core's
 * contract) and across a kill -9 of the process that wrote and flushed. The same through the
 * real SMB server with smbclient as the client: test/interop/cache-stability-smbclient.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CacheFileIoProvider, PageCache, PAGE_SIZE } from '../../cache/index.js';
import type { ReadPayload } from '../../server/file-io.js';
import { ROOT, pattern, sha, spawnChild, tempDir } from '../support/stable-pages.js';

test('stability through the FileIo provider: an outstanding READ payload keeps its bytes across an overwrite', async () => {
  const dir = await tempDir();
  const path = join(dir, 'f.bin');
  const before = pattern(256 * 1024 + 123, 1);
  await writeFile(path, before);
  const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: true });
  const provider = new CacheFileIoProvider(cache);
  try {
    const io = await provider.open(path, { writable: true });
    const held: ReadPayload = await io.read(0, before.length);
    assert.equal(held.path, 'zerocopy');
    assert.equal(held.copyReason, undefined);
    assert.equal(held.length, before.length);
    const slabMemory = new Set(cache.slabs().map((slab) => slab.memory.buffer));
    assert.ok(held.chunks.every((chunk) => slabMemory.has(chunk.buffer)), 'every chunk is a view of slab memory, not a copy');
    assert.ok(held.chunks.length <= Math.ceil(before.length / PAGE_SIZE));
    const digest = sha(held.chunks);
    assert.equal(digest, sha([before]));

    const after = pattern(before.length, 2);
    assert.equal(await io.write(0, after), after.length);
    assert.equal(sha(held.chunks), digest, 'the outstanding payload still hashes to the content at splice time');
    assert.ok(cache.counters().cowReplacements >= held.chunks.length);

    const fresh = await io.read(0, before.length);
    assert.equal(sha(fresh.chunks), sha([after]), 'a new read sees the new content');
    assert.equal(fresh.path, 'copy');
    assert.equal(fresh.copyReason, 'dirty');
    fresh.release();
    held.release();
    held.release();
    assert.equal(cache.counters().splicedPages, 0);
    await io.flush();
    assert.ok((await readFile(path)).equals(after));
    await io.close();
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('only the dirty or mapped pages of a read are copied, each counted with its reason', async () => {
  const dir = await tempDir();
  const path = join(dir, 'f.bin');
  await writeFile(path, pattern(8 * PAGE_SIZE, 3));
  const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: true });
  const provider = new CacheFileIoProvider(cache);
  try {
    const io = await provider.open(path, { writable: true });
    const clean = await io.read(0, 2 * PAGE_SIZE);
    assert.equal(clean.path, 'zerocopy');
    assert.equal(clean.copiedByReason, undefined);
    clean.release();
    await io.write(PAGE_SIZE, Buffer.from('dirty'));
    const dirty = await io.read(0, 2 * PAGE_SIZE);
    assert.equal(dirty.path, 'copy');
    assert.equal(dirty.copyReason, 'dirty');
    assert.deepEqual(dirty.copiedByReason, { dirty: PAGE_SIZE }, 'the clean first page is spliced');
    dirty.release();
    const other = await provider.open(path, { writable: false });
    const handle = await cache.open(path);
    const mapping = await cache.map(handle, 4 * PAGE_SIZE, PAGE_SIZE, { writable: false });
    const mapped = await other.read(4 * PAGE_SIZE, 3 * PAGE_SIZE);
    assert.equal(mapped.path, 'copy');
    assert.equal(mapped.copyReason, 'mapped');
    assert.deepEqual(mapped.copiedByReason, { mapped: PAGE_SIZE }, 'pages no mapping holds are spliced');
    assert.ok(Buffer.concat(mapped.chunks).equals(pattern(8 * PAGE_SIZE, 3).subarray(4 * PAGE_SIZE, 7 * PAGE_SIZE)));
    mapped.release();
    mapping.unmap();
    const counters = cache.counters();
    assert.equal(counters.copiedBytesByReason.dirty, PAGE_SIZE);
    assert.equal(counters.copiedBytesByReason.mapped, PAGE_SIZE);
    assert.equal(counters.zeroCopyBytes, 5 * PAGE_SIZE);
    await cache.close(handle);
    await other.close();
    await io.close();
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

const WRITER = (cacheUrl: string): string => `
const { PageCache, CacheFileIoProvider } = await import(${JSON.stringify(cacheUrl)});
const [path, mode, length] = process.argv.slice(2);
const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: mode === 'behind' });
const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
const data = Buffer.alloc(Number(length));
for (let i = 0; i < data.length; i++) data[i] = (i * 5 + 3) & 0xff;
await io.write(0, data);
if (mode === 'flush') await io.flush();
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

test('durability: once a write (or a FLUSH in write-behind mode) answers, the data survives kill -9 of the writer', async () => {
  const dir = await tempDir();
  const cacheUrl = pathToFileURL(join(ROOT, 'cache/index.ts')).href;
  const length = 3 * 1024 * 1024 + 77;
  const expected = Buffer.alloc(length);
  for (let i = 0; i < length; i++) expected[i] = (i * 5 + 3) & 0xff;
  try {
    for (const mode of ['flush', 'no-flush', 'behind']) {
      const path = join(dir, `${mode}.bin`);
      await writeFile(path, Buffer.alloc(0));
      const { child, exited } = await spawnChild(WRITER(cacheUrl), [path, mode, String(length)], dir);
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      const onDisk = await readFile(path);
      if (mode === 'behind') assert.equal(onDisk.length, 0, 'control: write-behind without FLUSH kept the data only in the cache');
      else assert.ok(onDisk.equals(expected), `${mode}: acknowledged data is on disk after kill -9`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
