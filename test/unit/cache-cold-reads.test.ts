// Cold reads (the file is not in the cache): how the misses reach the disk and how far
// read-ahead runs ahead of a sequential reader, counted at the fs calls and the cache counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { CacheHandle, PageCache, PageCacheOptions } from '../../cache/index.js';
import { pattern } from '../support/stable-pages.js';

/** Positional reads (fs.readv and fs.read calls) so far. */
let diskReads = 0;
/** Count calls of fs[name], for modules loaded from here on (they may keep the function they found). */
function countCalls(name: 'readv' | 'read'): void {
  const original = fs[name] as (...args: unknown[]) => unknown;
  const counting = (...args: unknown[]): unknown => {
    diskReads++;
    return original(...args);
  };
  for (const symbol of Object.getOwnPropertySymbols(original)) Object.defineProperty(counting, symbol, Object.getOwnPropertyDescriptor(original, symbol)!);
  (fs as unknown as Record<string, unknown>)[name] = counting;
}
countCalls('readv');
countCalls('read');
syncBuiltinESMExports();
const { PAGE_SIZE } = await import('../../cache/index.js');
const { readaheadReadsInFlight } = await import('../../cache/readahead-lanes.js');
const { withTempCache } = await import('../support/temp-cache.js');

const MiB = 1024 * 1024;

function withFile(content: Buffer, options: PageCacheOptions, body: (cache: PageCache, path: string) => Promise<void>): Promise<void> {
  return withTempCache('spliced-cold-', { writebackIntervalMs: 0, ...options }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, content);
    await body(cache, path);
  });
}

async function countingDiskReads<T>(body: () => Promise<T>): Promise<{ result: T; calls: number }> {
  const before = diskReads;
  const result = await body();
  return { result, calls: diskReads - before };
}

/** Read [offset, offset + length) through spliceToBvecs and check the bytes against `content`. */
async function readChecked(cache: PageCache, h: CacheHandle, content: Buffer, offset: number, length: number): Promise<void> {
  const r = await cache.spliceToBvecs(h, offset, length);
  try {
    const end = Math.min(offset + length, content.length);
    assert.equal(r.length, end - offset);
    assert.ok(Buffer.concat(r.bvecs.map((b) => b.bytes())).equals(content.subarray(offset, end)), `bytes at ${offset}`);
  } finally {
    cache.release(r);
  }
}

/** Until every fill of the file started so far has ended (read-ahead runs in the background). */
async function settled(h: CacheHandle): Promise<void> {
  while (h.file.fills.size > 0) await Promise.allSettled([...h.file.fills]);
}

test('a sequential cold read of 48 MiB in 8 MiB READs: at most about one preadv per MiB, read-ahead serves all but the first two READs', async () => {
  const content = pattern(48 * MiB, 1);
  await withFile(content, { maxBytes: 256 * MiB }, async (cache, path) => {
    const h = await cache.open(path);
    const { calls } = await countingDiskReads(async () => {
      for (let at = 0; at < content.length; at += 8 * MiB) {
        await readChecked(cache, h, content, at, 8 * MiB);
        assert.ok(h.file.readaheadRunning <= 2, 'at most two read-ahead reads of a file in flight');
      }
      await settled(h);
    });
    const pages = content.length / PAGE_SIZE;
    const { misses, readaheadPages } = cache.counters();
    // One preadv per MiB of demand fill and per 4 MiB of read-ahead, a few more where chunks do not fall on those bounds (page by page: 12288).
    assert.ok(calls <= (content.length / MiB) * 1.25, `${calls} disk reads for ${content.length / MiB} MiB`);
    // The first READ starts no read-ahead (a stream is two reads that follow each other); the second starts it.
    assert.equal(misses, (16 * MiB) / PAGE_SIZE, 'every page after the second READ was read ahead');
    assert.equal(readaheadPages, pages - misses);
    await cache.close(h);
  });
});

test('one cold 8 MiB READ (more pages than IOV_MAX) is read with a few preadv calls, not page by page', async () => {
  const content = pattern(8 * MiB + 1000, 2);
  await withFile(content, { maxBytes: 64 * MiB }, async (cache, path) => {
    const h = await cache.open(path);
    const { calls } = await countingDiskReads(() => readChecked(cache, h, content, 0, 8 * MiB + 1000));
    assert.equal(calls, 10, 'one preadv per MiB, and one more that finds EOF after the short last one'); // page by page: 2049
    await cache.close(h);
  });
});

test('read-ahead stops at the end of the file; the last page reads as the file with zeros after it', async () => {
  const content = pattern(10 * MiB + 100, 3);
  await withFile(content, { maxBytes: 64 * MiB }, async (cache, path) => {
    const h = await cache.open(path);
    for (let at = 0; at < content.length; at += MiB) await readChecked(cache, h, content, at, MiB);
    await settled(h);
    const lastIndex = Math.floor((content.length - 1) / PAGE_SIZE);
    assert.equal(cache.pageRefcount(h, lastIndex), 1);
    assert.equal(cache.pageFlags(h, lastIndex + 1), -1, 'nothing past EOF is read ahead');
    const { misses, readaheadPages } = cache.counters();
    assert.equal(misses + readaheadPages, lastIndex + 1, 'every page read once, none twice');
    const tail = await cache.spliceToBvecs(h, lastIndex * PAGE_SIZE, PAGE_SIZE);
    const [bvec] = tail.bvecs;
    const slab = cache.slabs().find((s) => s.id === bvec.slabId)!.memory;
    const pageStart = bvec.slabOffset - bvec.offset;
    assert.ok(slab.subarray(pageStart + 100, pageStart + PAGE_SIZE).equals(Buffer.alloc(PAGE_SIZE - 100)), 'the page past EOF holds zeros');
    cache.release(tail);
    await cache.close(h);
  });
});

test('read-ahead holds at most 1/8 of the cache ahead of the reader, and never evicts the pages it read ahead', async () => {
  const cacheBytes = 4 * MiB;
  const content = pattern(24 * MiB, 4);
  await withFile(content, { maxBytes: cacheBytes, slabBytes: MiB }, async (cache, path) => {
    const h = await cache.open(path);
    for (let at = 0; at < content.length; at += 256 * 1024) {
      await readChecked(cache, h, content, at, 256 * 1024);
      await settled(h);
      const firstAhead = (at + 256 * 1024) / PAGE_SIZE;
      let ahead = 0;
      while (cache.pageFlags(h, firstAhead + ahead) !== -1) ahead++;
      assert.ok(ahead * PAGE_SIZE <= cacheBytes / 8, `${ahead} pages ahead at ${at}`);
    }
    // The file is six times the cache: it cycled through, and only the first two READs missed.
    assert.equal(cache.counters().misses, (512 * 1024) / PAGE_SIZE);
    assert.ok(cache.counters().evictions > 0);
    await cache.close(h);
  });
});

test('READs of one stream served slightly out of order keep read-ahead going', async () => {
  const content = pattern(64 * MiB, 5);
  await withFile(content, { maxBytes: 256 * MiB }, async (cache, path) => {
    const h = await cache.open(path);
    for (const at of [0, 8, 16, 32, 24]) await readChecked(cache, h, content, at * MiB, 8 * MiB);
    await settled(h);
    const misses = cache.counters().misses;
    await readChecked(cache, h, content, 40 * MiB, 8 * MiB);
    assert.equal(cache.counters().misses, misses, 'the READ after them was read ahead');
    await cache.close(h);
  });
});

test('random READs start no read-ahead', async () => {
  const content = pattern(16 * MiB, 6);
  await withFile(content, { maxBytes: 64 * MiB }, async (cache, path) => {
    const h = await cache.open(path);
    const offsets = [9, 2, 14, 5, 11, 0, 7, 13, 3].map((mib) => mib * MiB + 4096);
    for (const at of offsets) await readChecked(cache, h, content, at, 64 * 1024);
    await settled(h);
    assert.equal(cache.counters().readaheadPages, 0);
    assert.equal(cache.counters().misses, offsets.length * 16);
    await cache.close(h);
  });
});

test('read-ahead under memory pressure takes only what is free or evictable, and never waits', async () => {
  const content = pattern(8 * MiB, 7);
  await withFile(content, { maxBytes: 2 * MiB, slabBytes: MiB, pressureWaitMs: 1000 }, async (cache, path) => {
    const h = await cache.open(path);
    // Pin all but 40 pages of the cache with a held read. Two 64 KiB READs take 16 pages each;
    // the second wants a 32-page read-ahead window, and 8 free pages plus the first READ's 16 are all there is.
    const held = await cache.spliceToBvecs(h, 4 * MiB, 2 * MiB - 40 * PAGE_SIZE);
    const started = performance.now();
    await readChecked(cache, h, content, 0, 64 * 1024);
    await readChecked(cache, h, content, 64 * 1024, 64 * 1024);
    assert.ok(performance.now() - started < 500, 'no read waited for memory');
    await settled(h);
    const ahead = cache.counters().readaheadPages;
    assert.ok(ahead > 0 && ahead <= 24, `${ahead} pages read ahead`);
    assert.equal(cache.pageRefcount(h, (4 * MiB) / PAGE_SIZE), 2, 'pinned pages stay');
    // What read-ahead could not take is read when asked for.
    await readChecked(cache, h, content, 128 * 1024, 128 * 1024);
    cache.release(held);
    await cache.close(h);
  });
});

test('read-ahead of two files read side by side: at most two reads per file and three in all in flight, and both are read ahead', async () => {
  const contents = [pattern(40 * MiB, 8), pattern(40 * MiB, 9)];
  await withTempCache('spliced-cold-', { writebackIntervalMs: 0, maxBytes: 256 * MiB }, async (cache, dir) => {
    const handles: CacheHandle[] = [];
    for (const [k, content] of contents.entries()) {
      await writeFile(join(dir, `f${k}.bin`), content);
      handles.push(await cache.open(join(dir, `f${k}.bin`)));
    }
    let most = 0;
    const watch = setInterval(() => (most = Math.max(most, readaheadReadsInFlight())), 0);
    try {
      await Promise.all(
        handles.map(async (h, k) => {
          for (let at = 0; at < contents[k].length; at += 4 * MiB) {
            await readChecked(cache, h, contents[k], at, 4 * MiB);
            most = Math.max(most, readaheadReadsInFlight());
            assert.ok(h.file.readaheadRunning <= 2);
          }
        }),
      );
      for (const h of handles) await settled(h);
    } finally {
      clearInterval(watch);
    }
    assert.ok(most > 0 && most <= 3, `${most} read-ahead reads in flight at most`);
    assert.equal(readaheadReadsInFlight(), 0);
    // Each file: the first two 4 MiB READs missed, the rest was read ahead.
    assert.equal(cache.counters().misses, 2 * ((8 * MiB) / PAGE_SIZE));
    for (const h of handles) await cache.close(h);
  });
});
