// READ payloads as the transports see them: each chunk's region locates exactly its bytes in a
// slab (SMB Direct builds SGEs from it), and the copy fallback is decided page by page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheFileIoProvider, PAGE_SIZE, type PageCache, type PageCacheOptions } from '../../cache/index.js';
import type { ReadPayload } from '../../server/file-io.js';
import { withTempCache } from '../support/temp-cache.js';
import { pattern } from '../support/stable-pages.js';

const MiB = 1024 * 1024;
/** Write-behind keeps written pages DIRTY, so a read meets them. */
const WRITE_BEHIND: PageCacheOptions = { maxBytes: 16 * MiB, writebackIntervalMs: 0, writeBehind: true };

function withFile(content: Buffer, options: PageCacheOptions, body: (cache: PageCache, path: string) => Promise<void>): Promise<void> {
  return withTempCache('spliced-regions-', options, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, content);
    await body(cache, path);
  });
}

/** Every chunk with a region is the very memory the region names; returns how many chunks had none. */
function assertRegionsMatch(cache: PageCache, payload: ReadPayload): number {
  const slabs = new Map(cache.slabs().map((slab) => [slab.id, slab.memory]));
  assert.ok(payload.regions, 'the cache always gives regions');
  assert.equal(payload.regions.length, payload.chunks.length);
  let unregistered = 0;
  payload.chunks.forEach((chunk, i) => {
    const region = payload.regions![i];
    if (region === null) {
      unregistered++;
      return;
    }
    const memory = slabs.get(region.slabId);
    assert.ok(memory, `chunk ${i}: slab ${region.slabId} exists`);
    const inSlab = memory.subarray(region.offset, region.offset + chunk.length);
    assert.equal(inSlab.length, chunk.length, `chunk ${i} lies inside its slab`);
    assert.equal(chunk.buffer, memory.buffer, `chunk ${i} is a view of the slab, not a copy`);
    assert.equal(chunk.byteOffset, inSlab.byteOffset, `chunk ${i} starts where its region says`);
    assert.ok(inSlab.equals(chunk));
  });
  return unregistered;
}

test('every region points at exactly its chunk\'s bytes inside the slab, at odd offsets and across pages', async () => {
  const content = pattern(40 * PAGE_SIZE + 123, 1);
  await withFile(content, { maxBytes: 4 * MiB, slabBytes: 16 * PAGE_SIZE, writebackIntervalMs: 0 }, async (cache, path) => {
    const io = await new CacheFileIoProvider(cache).open(path, { writable: false });
    for (const [offset, length] of [[0, content.length], [100, 5 * PAGE_SIZE + 300], [PAGE_SIZE - 1, 2], [39 * PAGE_SIZE + 7, 10 * PAGE_SIZE]]) {
      const payload = await io.read(offset, length);
      assert.equal(assertRegionsMatch(cache, payload), 0, 'clean cached pages are all registered memory');
      assert.ok(Buffer.concat(payload.chunks).equals(content.subarray(offset, offset + length)));
      payload.release();
    }
    await io.close();
  });
});

test('a 1 MiB read with one dirty page in the middle copies those 4096 bytes (reason dirty) and splices the other 255 pages', async () => {
  const content = pattern(MiB + PAGE_SIZE, 2);
  await withFile(content, WRITE_BEHIND, async (cache, path) => {
    const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
    (await io.read(0, MiB)).release(); // cached and clean
    const dirtyAt = 128 * PAGE_SIZE;
    await io.write(dirtyAt + 10, Buffer.from('changed'));
    const expected = Buffer.from(content.subarray(0, MiB));
    expected.write('changed', dirtyAt + 10);
    const before = cache.counters();
    const payload = await io.read(0, MiB);
    assert.equal(payload.length, MiB);
    assert.ok(Buffer.concat(payload.chunks).equals(expected), 'content: the dirty bytes included');
    assert.deepEqual(payload.copiedByReason, { dirty: PAGE_SIZE });
    assert.equal(payload.path, 'copy');
    assert.equal(payload.copyReason, 'dirty');
    const after = cache.counters();
    assert.equal(after.zeroCopyBytes - before.zeroCopyBytes, MiB - PAGE_SIZE);
    assert.equal(after.copiedBytesByReason.dirty - before.copiedBytesByReason.dirty, PAGE_SIZE);
    assert.equal(after.pages.bounce, 1, 'one bounce page');
    assert.equal(after.splicedPages, 255);
    assert.equal(assertRegionsMatch(cache, payload), 0, 'the copy sits in a registered bounce page');
    // Stable pages: stores after the read reach neither the spliced pages nor the bounce copy.
    await io.write(0, Buffer.alloc(PAGE_SIZE, 0xee));
    await io.write(dirtyAt, Buffer.alloc(PAGE_SIZE, 0xee));
    assert.ok(Buffer.concat(payload.chunks).equals(expected), 'the bytes handed out did not change');
    payload.release();
    assert.equal(cache.counters().pages.bounce, 0);
    assert.equal(cache.counters().splicedPages, 0);
    await io.close();
  });
});

test('a page a mapping holds is copied with reason mapped; the rest of the read is spliced', async () => {
  const content = pattern(MiB, 3);
  await withFile(content, { maxBytes: 16 * MiB, writebackIntervalMs: 0 }, async (cache, path) => {
    const io = await new CacheFileIoProvider(cache).open(path, { writable: false });
    const handle = await cache.open(path, { writable: true });
    const mapping = await cache.map(handle, 10 * PAGE_SIZE, 2 * PAGE_SIZE, { writable: false });
    const payload = await io.read(0, MiB);
    assert.deepEqual(payload.copiedByReason, { mapped: 2 * PAGE_SIZE });
    assert.equal(payload.copyReason, 'mapped');
    assert.ok(Buffer.concat(payload.chunks).equals(content));
    mapping.views[0].fill(0x77); // a consumer storing into its mapping after the read
    assert.ok(Buffer.concat(payload.chunks).equals(content), 'the copy does not see the store');
    assert.equal(assertRegionsMatch(cache, payload), 0);
    payload.release();
    mapping.unmap();
    await cache.close(handle);
    await io.close();
  });
});

test('with no page left for a bounce copy, the dirty page goes to the heap (no region) and the rest still splices', async () => {
  const content = pattern(4 * PAGE_SIZE, 4);
  await withFile(content, { maxBytes: 4 * PAGE_SIZE, slabBytes: 4 * PAGE_SIZE, writebackIntervalMs: 0, writeBehind: true, pressureWaitMs: 2 }, async (cache, path) => {
    const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
    (await io.read(0, content.length)).release();
    await io.write(2 * PAGE_SIZE, Buffer.from('dirty'));
    const expected = Buffer.from(content);
    expected.write('dirty', 2 * PAGE_SIZE);
    const payload = await io.read(0, content.length);
    assert.deepEqual(payload.copiedByReason, { dirty: PAGE_SIZE });
    assert.ok(Buffer.concat(payload.chunks).equals(expected));
    assert.equal(assertRegionsMatch(cache, payload), 1, 'exactly the heap copy has no region');
    assert.equal(cache.counters().pages.bounce, 0);
    assert.equal(cache.counters().splicedPages, 3);
    payload.release();
    await io.close();
  });
});
