import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PageCache, PageFlag, PAGE_SIZE, type PageCacheOptions } from '../../cache/index.js';
import { withTempCache } from '../support/temp-cache.js';

const { DIRTY, WRITEBACK, TOWRITE, SPLICED } = PageFlag;

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 12)) & 0xff;
  return out;
}

function withFile(content: Buffer, options: PageCacheOptions, body: (cache: PageCache, path: string) => Promise<void>): Promise<void> {
  // Write-behind, so the DIRTY/TOWRITE/WRITEBACK life of a page can be watched (cache-durability covers the default).
  return withTempCache('spliced-cache-', { writebackIntervalMs: 0, writeBehind: true, ...options }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, content);
    await body(cache, path);
  });
}

function joined(bytes: Buffer[]): Buffer {
  return Buffer.concat(bytes);
}

test('a miss reads the page into the cache clean; a second read hits', async () => {
  const content = pattern(3 * PAGE_SIZE + 100, 1);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path);
    assert.equal(cache.pageFlags(h, 0), -1);
    assert.deepEqual(await cache.read(h, 0, content.length), content);
    assert.equal(cache.pageFlags(h, 0), 0);
    assert.equal(cache.pageRefcount(h, 0), 1);
    const before = cache.counters();
    assert.equal(before.misses, 4);
    await cache.read(h, 10, 20);
    assert.equal(cache.counters().hits, before.hits + 1);
    assert.equal(cache.counters().misses, 4);
  });
});

test('splice tags SPLICED and references the page; release back to the base clears it', async () => {
  const content = pattern(2 * PAGE_SIZE, 2);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path);
    const a = await cache.spliceToBvecs(h, 100, PAGE_SIZE);
    assert.equal(a.reason, null);
    assert.equal(a.copiedBytes, 0);
    assert.equal(a.bvecs.length, 1, 'pages adjacent in the file and in the slab share one bvec');
    assert.equal(a.bvecs[0].pageCount, 2);
    assert.equal(a.bvecs[0].offset, 100);
    assert.deepEqual(joined(a.bvecs.map((b) => b.bytes())), content.subarray(100, 100 + PAGE_SIZE));
    assert.equal(cache.pageFlags(h, 0), SPLICED);
    assert.equal(cache.pageRefcount(h, 0), 2);
    const b = await cache.spliceToBvecs(h, 0, 10);
    assert.equal(cache.pageRefcount(h, 0), 3);
    assert.equal(cache.counters().splicedPages, 2);
    cache.release(a);
    assert.equal(cache.pageFlags(h, 0), SPLICED, 'still referenced by b');
    assert.equal(cache.pageFlags(h, 1), 0);
    cache.release(a); // a second release is harmless
    assert.equal(cache.pageRefcount(h, 0), 2);
    cache.release(b);
    assert.equal(cache.pageFlags(h, 0), 0);
    assert.equal(cache.pageRefcount(h, 0), 1);
    assert.equal(cache.counters().splicedPages, 0);
    assert.equal(cache.counters().zeroCopyBytes, PAGE_SIZE + 10);
  });
});

test('bvecs locate their bytes inside a registered slab', async () => {
  const content = pattern(5 * PAGE_SIZE, 3);
  const seen: number[] = [];
  await withFile(content, {}, async (cache, path) => {
    cache.onSlab((slab) => seen.push(slab.id));
    const h = await cache.open(path);
    const r = await cache.spliceToBvecs(h, 1000, 3 * PAGE_SIZE);
    const slabs = new Map(cache.slabs().map((s) => [s.id, s.memory]));
    assert.deepEqual(seen, [...slabs.keys()]);
    for (const bvec of r.bvecs) {
      const memory = slabs.get(bvec.slabId)!;
      assert.deepEqual(memory.subarray(bvec.slabOffset, bvec.slabOffset + bvec.length), bvec.bytes());
    }
    cache.release(r);
  });
});

test('a write dirties a clean page and a read copies the dirty page with reason dirty, splicing the clean one', async () => {
  const content = pattern(2 * PAGE_SIZE, 4);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.write(h, 10, Buffer.from('hello'));
    assert.equal(cache.pageFlags(h, 0), DIRTY);
    assert.equal(cache.counters().dirtyPages, 1);
    const r = await cache.spliceToBvecs(h, 0, 2 * PAGE_SIZE);
    assert.equal(r.reason, 'dirty');
    assert.equal(r.copiedBytes, PAGE_SIZE);
    assert.deepEqual(r.copiedByReason, { dirty: PAGE_SIZE });
    assert.equal(cache.pageFlags(h, 0) & SPLICED, 0, 'the dirty page is copied, not spliced');
    assert.equal(cache.pageFlags(h, 1) & SPLICED, SPLICED, 'the clean page is spliced');
    const expected = Buffer.from(content);
    expected.write('hello', 10);
    assert.deepEqual(joined(r.bvecs.map((b) => b.bytes())), expected);
    assert.equal(cache.counters().copiedBytesByReason.dirty, PAGE_SIZE);
    assert.equal(cache.counters().pages.bounce, 1);
    cache.release(r);
    assert.equal(cache.counters().pages.bounce, 0);
    assert.equal(cache.pageFlags(h, 1) & SPLICED, 0, 'released: no longer spliced');
  });
});

test('a write to a SPLICED page replaces it; the spliced bytes never change', async () => {
  const content = pattern(PAGE_SIZE, 5);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const r = await cache.spliceToBvecs(h, 0, PAGE_SIZE);
    await cache.write(h, 0, Buffer.alloc(PAGE_SIZE, 0xee));
    assert.equal(cache.counters().cowReplacements, 1);
    assert.deepEqual(r.bvecs[0].bytes(), content);
    assert.equal(cache.pageFlags(h, 0), DIRTY, 'the fresh copy is dirty, not spliced');
    assert.equal(cache.counters().splicedPages, 1, 'the old page stays spliced until released');
    assert.deepEqual(await cache.read(h, 0, 4), Buffer.alloc(4, 0xee));
    const freeBefore = cache.counters().pages.free;
    cache.release(r);
    assert.equal(cache.counters().pages.free, freeBefore + 1, 'the replaced page is freed by its last release');
    assert.equal(cache.counters().splicedPages, 0);
  });
});

test('flush moves DIRTY pages through TOWRITE and WRITEBACK to clean; reads meanwhile copy with the reason', async () => {
  const content = pattern(12 * PAGE_SIZE, 6);
  let hold: (() => void) | null = null;
  let entered: (() => void) | null = null;
  const gate = (): Promise<void> =>
    new Promise<void>((resolve) => {
      hold = resolve;
      entered?.();
    });
  await withFile(content, { beforeWritebackIo: gate }, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.write(h, 0, Buffer.from('A'));
    await cache.write(h, 10 * PAGE_SIZE, Buffer.from('B'));
    const inIo = new Promise<void>((resolve) => (entered = resolve));
    const flushing = cache.flush(h);
    assert.equal(cache.pageFlags(h, 10), DIRTY | TOWRITE);
    await inIo;
    assert.equal(cache.pageFlags(h, 0), WRITEBACK);
    assert.equal(cache.pageFlags(h, 10), DIRTY | TOWRITE);
    const during = await cache.spliceToBvecs(h, 0, 100);
    assert.equal(during.reason, 'writeback');
    cache.release(during);
    const queued = await cache.spliceToBvecs(h, 10 * PAGE_SIZE, 100);
    assert.equal(queued.reason, 'towrite');
    const other = await cache.spliceToBvecs(h, 5 * PAGE_SIZE, 100);
    assert.equal(other.reason, null, 'clean pages elsewhere in the file still splice');
    cache.release(other);
    cache.release(queued);
    // A write during the I/O re-dirties the page without disturbing what goes to disk.
    await cache.write(h, 1, Buffer.from('C'));
    assert.equal(cache.pageFlags(h, 0), WRITEBACK | DIRTY);
    const secondIo = new Promise<void>((resolve) => (entered = resolve));
    hold!();
    await secondIo;
    assert.equal(cache.pageFlags(h, 0), DIRTY);
    assert.equal(cache.pageFlags(h, 10), WRITEBACK);
    hold!();
    await flushing;
    assert.equal(cache.pageFlags(h, 10), 0);
    assert.equal(cache.counters().copiedBytesByReason.writeback, 100);
    assert.equal(cache.counters().copiedBytesByReason.towrite, 100);
    const disk = await readFile(path);
    assert.equal(disk.subarray(0, 2).toString(), 'A' + String.fromCharCode(content[1]));
    assert.equal(disk[10 * PAGE_SIZE], 'B'.charCodeAt(0));
    const lastIo = new Promise<void>((resolve) => (entered = resolve));
    const last = cache.flush(h);
    await lastIo;
    hold!();
    await last;
    assert.equal((await readFile(path)).subarray(0, 2).toString(), 'AC');
    assert.equal(cache.pageFlags(h, 0), 0);
  });
});

test('map raises the mapped count, replaces spliced pages, and reads copy with reason mapped', async () => {
  const content = pattern(3 * PAGE_SIZE, 8);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const spliced = await cache.spliceToBvecs(h, 0, PAGE_SIZE);
    const mapping = await cache.map(h, 0, 2 * PAGE_SIZE);
    assert.equal(h.file.mapped, 1);
    assert.equal(cache.counters().cowReplacements, 1, 'the spliced page was replaced before handing out a writable view');
    mapping.views[0].fill(0x55);
    assert.deepEqual(spliced.bvecs[0].bytes(), content.subarray(0, PAGE_SIZE));
    const r = await cache.spliceToBvecs(h, PAGE_SIZE, PAGE_SIZE + 100);
    assert.equal(r.reason, 'mapped');
    assert.deepEqual(r.copiedByReason, { mapped: PAGE_SIZE }, 'the mapped page is copied, the page past the mapping spliced');
    cache.release(r);
    assert.deepEqual(await cache.read(h, 0, 8), Buffer.alloc(8, 0x55));
    assert.equal(cache.pageFlags(h, 0) & SPLICED, 0);
    mapping.unmap();
    mapping.unmap();
    assert.equal(h.file.mapped, 0);
    assert.equal(cache.pageFlags(h, 0), DIRTY);
    cache.release(spliced);
    await cache.flush(h);
    assert.deepEqual((await readFile(path)).subarray(0, PAGE_SIZE), Buffer.alloc(PAGE_SIZE, 0x55));
    const after = await cache.spliceToBvecs(h, 0, 100);
    assert.equal(after.reason, null, 'unmapped and clean again: zero-copy');
    cache.release(after);
    assert.equal(cache.counters().copiedBytesByReason.mapped, PAGE_SIZE + 8);
  });
});

test('truncate drops pages past the end, replaces a spliced partial page, and extension reads zeros', async () => {
  const content = pattern(4 * PAGE_SIZE, 9);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const r = await cache.spliceToBvecs(h, 0, 4 * PAGE_SIZE);
    const cut = PAGE_SIZE + 100;
    await cache.setSize(h, cut);
    assert.equal(cache.pageFlags(h, 2), -1);
    assert.equal(cache.pageFlags(h, 3), -1);
    assert.equal(cache.pageFlags(h, 1), 0, 'the partial page was replaced by a clean copy');
    assert.equal(cache.counters().cowReplacements, 1);
    assert.deepEqual(joined(r.bvecs.map((b) => b.bytes())), content, 'spliced bytes survive the truncate');
    assert.equal(cache.counters().splicedPages, 4);
    await cache.setSize(h, 3 * PAGE_SIZE);
    const expected = Buffer.concat([content.subarray(0, cut), Buffer.alloc(3 * PAGE_SIZE - cut)]);
    assert.deepEqual(await cache.read(h, 0, 4 * PAGE_SIZE), expected);
    cache.release(r);
    assert.equal(cache.counters().splicedPages, 0);
    await cache.flush(h);
    assert.deepEqual(await readFile(path), expected);
  });
});

test('eviction takes only clean unreferenced pages', async () => {
  const content = pattern(6 * PAGE_SIZE, 10);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.read(h, 0, content.length);
    const r = await cache.spliceToBvecs(h, 0, PAGE_SIZE);
    await cache.write(h, PAGE_SIZE, Buffer.from('z'));
    const mapping = await cache.map(h, 2 * PAGE_SIZE, PAGE_SIZE, { writable: false });
    assert.equal(cache.evict(), 3);
    assert.equal(cache.counters().evictions, 3);
    assert.equal(cache.pageFlags(h, 0), SPLICED);
    assert.equal(cache.pageFlags(h, 1), DIRTY);
    assert.equal(cache.pageFlags(h, 2), 0, 'mapped page stays');
    assert.equal(cache.pageFlags(h, 3), -1);
    mapping.unmap();
    cache.release(r);
    assert.equal(cache.evict(), 2);
    assert.equal(cache.pageFlags(h, 1), DIRTY);
  });
});

test('open notices a change on disk and drops stale clean pages; our dirty pages win', async () => {
  const content = pattern(3 * PAGE_SIZE, 11);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.read(h, 0, content.length);
    await cache.close(h);
    const changed = pattern(2 * PAGE_SIZE, 12);
    await writeFile(path, changed);
    const h2 = await cache.open(path, { writable: true });
    assert.equal(cache.size(h2), changed.length);
    assert.deepEqual(await cache.read(h2, 0, 3 * PAGE_SIZE), changed);
    await cache.write(h2, 0, Buffer.from('ours'));
    const h3 = await cache.open(path);
    await writeFile(path, pattern(2 * PAGE_SIZE, 13));
    const h4 = await cache.open(path);
    assert.equal((await cache.read(h4, 0, 4)).toString(), 'ours');
    assert.deepEqual(await cache.read(h4, PAGE_SIZE, PAGE_SIZE), pattern(2 * PAGE_SIZE, 13).subarray(PAGE_SIZE));
    for (const handle of [h2, h3, h4]) await cache.close(handle);
  });
});

test('sequential reads trigger read-ahead that later reads hit', async () => {
  const content = pattern(64 * PAGE_SIZE, 14);
  await withFile(content, { readaheadMinBytes: 8 * PAGE_SIZE, readaheadMaxBytes: 16 * PAGE_SIZE }, async (cache, path) => {
    const h = await cache.open(path);
    assert.deepEqual(await cache.read(h, 0, 4 * PAGE_SIZE), content.subarray(0, 4 * PAGE_SIZE));
    assert.deepEqual(await cache.read(h, 4 * PAGE_SIZE, 4 * PAGE_SIZE), content.subarray(4 * PAGE_SIZE, 8 * PAGE_SIZE));
    assert.equal(cache.counters().readaheadPages, 8);
    const misses = cache.counters().misses;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await cache.read(h, 8 * PAGE_SIZE, 8 * PAGE_SIZE), content.subarray(8 * PAGE_SIZE, 16 * PAGE_SIZE));
    assert.equal(cache.counters().misses, misses, 'served from the read-ahead pages');
  });
});

test('concurrent misses of one page share a single read', async () => {
  const content = pattern(PAGE_SIZE, 15);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path);
    const [a, b] = await Promise.all([cache.spliceToBvecs(h, 0, 10), cache.spliceToBvecs(h, 5, 10)]);
    assert.equal(a.bvecs[0].page, b.bvecs[0].page);
    assert.equal(cache.counters().misses, 1);
    cache.release(a);
    cache.release(b);
  });
});

test('a custom slab allocator supplies every slab', async () => {
  const issued: number[] = [];
  const released: number[] = [];
  const allocator = {
    allocate(bytes: number) {
      const id = 100 + issued.length;
      issued.push(id);
      return { id, memory: Buffer.alloc(bytes) };
    },
    release(id: number) {
      released.push(id);
    },
  };
  await withFile(pattern(3 * PAGE_SIZE, 16), { allocator, maxBytes: 2 * PAGE_SIZE, slabBytes: PAGE_SIZE }, async (cache, path) => {
    const h = await cache.open(path);
    const r = await cache.spliceToBvecs(h, 0, 2 * PAGE_SIZE);
    assert.deepEqual(r.bvecs.map((b) => b.slabId).sort(), [100, 101]);
    assert.deepEqual(cache.slabs().map((s) => s.id), [100, 101]);
    cache.release(r);
  });
});

test('counters report pages by state', async () => {
  const content = pattern(8 * PAGE_SIZE, 17);
  await withFile(content, { maxBytes: 64 * PAGE_SIZE, slabBytes: 16 * PAGE_SIZE }, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.read(h, 0, content.length);
    const r = await cache.spliceToBvecs(h, 0, 2 * PAGE_SIZE);
    await cache.write(h, 3 * PAGE_SIZE, Buffer.from('d'));
    const c = await cache.spliceToBvecs(h, 3 * PAGE_SIZE, 10);
    const { pages } = cache.counters();
    assert.deepEqual(pages, { free: 64 - 8 - 1, clean: 5, dirty: 1, writeback: 0, spliced: 2, bounce: 1 });
    cache.release(r);
    cache.release(c);
    assert.deepEqual(cache.counters().pages, { free: 64 - 8, clean: 7, dirty: 1, writeback: 0, spliced: 0, bounce: 0 });
  });
});

test('bvecs split where pages are not adjacent in slab memory', async () => {
  const content = pattern(4 * PAGE_SIZE, 18);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path);
    // Fill pages 2 and 0 first, so file order and slab order differ.
    cache.release(await cache.spliceToBvecs(h, 2 * PAGE_SIZE, 1));
    cache.release(await cache.spliceToBvecs(h, 0, 1));
    const r = await cache.spliceToBvecs(h, 0, 4 * PAGE_SIZE);
    assert.deepEqual(joined(r.bvecs.map((b) => b.bytes())), content);
    assert.equal(r.bvecs.reduce((n, b) => n + b.pageCount, 0), 4);
    assert.ok(r.bvecs.length >= 2);
    for (let i = 0; i + 1 < r.bvecs.length; i++) {
      const a = r.bvecs[i];
      const b = r.bvecs[i + 1];
      assert.ok(a.slabId !== b.slabId || a.slabOffset + a.length !== b.slabOffset, 'adjacent bvecs would have been merged');
    }
    cache.release(r);
  });
});

test('our own truncate, writeback and flush do not look like a change on disk at the next open', async () => {
  const content = pattern(6 * PAGE_SIZE, 19);
  await withFile(content, {}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.setSize(h, 5 * PAGE_SIZE);
    await cache.write(h, 0, Buffer.from('kept'));
    await cache.read(h, 0, 5 * PAGE_SIZE);
    await cache.flush(h);
    await cache.close(h);
    const misses = cache.counters().misses;
    const again = await cache.open(path);
    assert.equal((await cache.read(again, 0, 5 * PAGE_SIZE)).subarray(0, 4).toString(), 'kept');
    assert.equal(cache.counters().misses, misses, 'the pages stayed cached across close and open');
    await cache.close(again);
  });
});
