import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PageCache, PageFlag, PAGE_SIZE, type PageCacheOptions, type SpliceResult } from '../../cache/index.js';
import { withTempCache } from '../support/temp-cache.js';

const { DIRTY, WRITEBACK, SPLICED } = PageFlag;
/** Write-behind: these tests watch DIRTY and WRITEBACK pages under pressure (the model test covers the default mode). */
const SMALL: PageCacheOptions = { maxBytes: 16 * PAGE_SIZE, slabBytes: 4 * PAGE_SIZE, pressureWaitMs: 2, writebackIntervalMs: 0, writeBehind: true };

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed + (i >> 12) * 3) & 0xff;
  return out;
}

function gather(result: SpliceResult): Buffer {
  return Buffer.concat(result.bvecs.map((b) => b.bytes()));
}

function withFile(content: Buffer, options: PageCacheOptions, body: (cache: PageCache, path: string) => Promise<void>): Promise<void> {
  return withTempCache('spliced-pressure-', options, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, content);
    await body(cache, path);
  });
}

test('with a 16-page cache, a 1 MiB read still succeeds and pinned or dirty pages survive', async () => {
  const content = pattern(1024 * 1024, 1);
  await withFile(content, SMALL, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const held = await cache.spliceToBvecs(h, 0, 6 * PAGE_SIZE);
    assert.equal(held.reason, null);
    await cache.write(h, 8 * PAGE_SIZE, Buffer.alloc(4 * PAGE_SIZE, 0xd1));
    const expected = Buffer.from(content);
    expected.fill(0xd1, 8 * PAGE_SIZE, 12 * PAGE_SIZE);
    const whole = await cache.spliceToBvecs(h, 0, content.length);
    assert.equal(whole.length, content.length);
    assert.ok(gather(whole).equals(expected), 'the read under pressure returns the right bytes, dirty data included');
    assert.equal(whole.reason, 'pressure');
    cache.release(whole);
    for (let i = 0; i < 6; i++) assert.equal(cache.pageFlags(h, i), SPLICED, `spliced page ${i} kept`);
    for (let i = 8; i < 12; i++) assert.equal(cache.pageFlags(h, i), DIRTY, `dirty page ${i} kept`);
    assert.ok(gather(held).equals(content.subarray(0, 6 * PAGE_SIZE)));
    cache.release(held);
    assert.ok(cache.counters().copiedBytesByReason.pressure >= content.length);
  });
});

test('streaming a file larger than the cache evicts only clean unreferenced pages', async () => {
  const content = pattern(256 * PAGE_SIZE, 2);
  await withFile(content, SMALL, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const held = await cache.spliceToBvecs(h, 0, 3 * PAGE_SIZE);
    await cache.write(h, 4 * PAGE_SIZE, Buffer.alloc(2 * PAGE_SIZE, 0x42));
    const expected = Buffer.from(content);
    expected.fill(0x42, 4 * PAGE_SIZE, 6 * PAGE_SIZE);
    for (let offset = 0; offset < content.length; offset += 4 * PAGE_SIZE) {
      const r = await cache.spliceToBvecs(h, offset, 4 * PAGE_SIZE);
      assert.ok(gather(r).equals(expected.subarray(offset, offset + 4 * PAGE_SIZE)), `bytes at ${offset}`);
      cache.release(r);
    }
    assert.ok(cache.counters().evictions > 200, 'the stream went through the cache');
    for (let i = 0; i < 3; i++) assert.equal(cache.pageFlags(h, i), SPLICED);
    assert.equal(cache.pageFlags(h, 4), DIRTY);
    assert.equal(cache.pageFlags(h, 5), DIRTY);
    assert.ok(gather(held).equals(content.subarray(0, 3 * PAGE_SIZE)));
    cache.release(held);
    await cache.flush(h);
    assert.ok((await readFile(path)).equals(expected));
  });
});

test('pages under writeback are never evicted', async () => {
  const content = pattern(64 * PAGE_SIZE, 3);
  let hold: (() => void) | null = null;
  let entered: (() => void) | null = null;
  const options: PageCacheOptions = {
    ...SMALL,
    beforeWritebackIo: () =>
      new Promise<void>((resolve) => {
        hold = resolve;
        entered?.();
      }),
  };
  await withFile(content, options, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.write(h, 0, Buffer.alloc(4 * PAGE_SIZE, 0x77));
    const inIo = new Promise<void>((resolve) => (entered = resolve));
    const flushing = cache.flush(h);
    await inIo;
    for (let offset = 8 * PAGE_SIZE; offset < content.length; offset += 2 * PAGE_SIZE) {
      const r = await cache.spliceToBvecs(h, offset, 2 * PAGE_SIZE);
      assert.ok(gather(r).equals(content.subarray(offset, offset + 2 * PAGE_SIZE)));
      cache.release(r);
    }
    for (let i = 0; i < 4; i++) assert.equal(cache.pageFlags(h, i), WRITEBACK, `page ${i} still under writeback`);
    hold!();
    await flushing;
    assert.ok((await readFile(path)).subarray(0, 4 * PAGE_SIZE).equals(Buffer.alloc(4 * PAGE_SIZE, 0x77)));
  });
});

test('writes with every page pinned go straight to disk and reads see them', async () => {
  const content = pattern(32 * PAGE_SIZE, 4);
  await withFile(content, SMALL, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const pins = await cache.spliceToBvecs(h, 0, 16 * PAGE_SIZE);
    assert.equal(pins.reason, null);
    const data = Buffer.alloc(3 * PAGE_SIZE + 10, 0x99);
    assert.equal(await cache.write(h, 20 * PAGE_SIZE - 5, data), data.length);
    assert.ok(cache.counters().writeThroughBytes > 0, 'no page could be had, so the write went through');
    // Overwriting a pinned spliced page with no spare page drops it from the index instead of changing it.
    await cache.write(h, 0, Buffer.from('new'));
    assert.ok(gather(pins).equals(content.subarray(0, 16 * PAGE_SIZE)), 'spliced bytes unchanged');
    const expected = Buffer.from(content);
    data.copy(expected, 20 * PAGE_SIZE - 5);
    expected.write('new', 0);
    const r = await cache.spliceToBvecs(h, 0, expected.length);
    assert.ok(gather(r).equals(expected));
    cache.release(r);
    cache.release(pins);
    await cache.flush(h);
    assert.ok((await readFile(path)).equals(expected));
  });
});

test('many concurrent large reads under pressure all succeed with the right bytes', async () => {
  const content = pattern(128 * PAGE_SIZE, 5);
  await withFile(content, SMALL, async (cache, path) => {
    const h = await cache.open(path);
    const reads = Array.from({ length: 12 }, (_, k) => cache.spliceToBvecs(h, k * 9 * PAGE_SIZE + k * 100, 10 * PAGE_SIZE));
    const results = await Promise.all(reads);
    results.forEach((r, k) => {
      const offset = k * 9 * PAGE_SIZE + k * 100;
      assert.ok(gather(r).equals(content.subarray(offset, offset + 10 * PAGE_SIZE)), `read ${k}`);
    });
    for (const r of results) cache.release(r);
    assert.equal(cache.counters().splicedPages, 0);
    assert.equal(cache.counters().pages.bounce, 0);
  });
});
