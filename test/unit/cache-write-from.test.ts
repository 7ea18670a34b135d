/**
 * PageCache.writeFrom: a WRITE whose bytes a transport delivers (SMB Direct RDMA READ) into fresh
 * registered pages for the whole pages of the range and heap Buffers for the rest. A fake fill
 * stands in for the RDMA READ: it copies the data into the targets in order, as the device would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PageFlag, PAGE_SIZE, type PageCache } from '../../cache/index.js';
import type { FillTarget } from '../../server/file-io.js';
import { withTempCache } from '../support/temp-cache.js';
import { loadFsBinding, writeRunsStatted } from '../../native/fs.js';
import { pattern } from '../support/stable-pages.js';

interface FillLog {
  targets: Array<{ length: number; region: boolean }>;
}

/** Copies `data` into the targets like an RDMA READ; region targets must be views of slab memory. */
function fakeFill(cache: PageCache, data: Buffer, log: FillLog = { targets: [] }): (targets: FillTarget[]) => Promise<number> {
  return async (targets) => {
    const slabs = new Map(cache.slabs().map((slab) => [slab.id, slab.memory]));
    let at = 0;
    let placed = 0;
    for (const target of targets) {
      log.targets.push({ length: target.bytes.length, region: target.region !== null });
      if (target.region) {
        const memory = slabs.get(target.region.slabId);
        assert.ok(memory, 'a region names a slab of this cache');
        assert.equal(target.bytes.buffer, memory.buffer);
        assert.equal(target.bytes.byteOffset, memory.byteOffset + target.region.offset, 'the region is where the bytes sit in their slab');
        placed += target.bytes.length;
      }
      at += data.copy(target.bytes, 0, at, at + target.bytes.length);
    }
    assert.equal(at, data.length, 'the targets cover exactly the WRITE');
    return placed;
  };
}

const OPTIONS = { writebackIntervalMs: 0, maxBytes: 64 * PAGE_SIZE, slabBytes: 64 * PAGE_SIZE };

test('writeFrom: whole pages land in fresh cache pages, the file and a read see them', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, pattern(8 * PAGE_SIZE, 1));
    const h = await cache.open(path, { writable: true });
    const data = pattern(4 * PAGE_SIZE, 2);
    const log: FillLog = { targets: [] };
    const result = await cache.writeFrom(h, 2 * PAGE_SIZE, data.length, fakeFill(cache, data, log));
    assert.deepEqual(result, { count: data.length, placedBytes: data.length });
    assert.deepEqual(log.targets, [{ length: 4 * PAGE_SIZE, region: true }], 'four neighbouring fresh pages of one slab: one target');
    const expected = pattern(8 * PAGE_SIZE, 1);
    data.copy(expected, 2 * PAGE_SIZE);
    assert.ok((await readFile(path)).equals(expected), 'the bytes reached the disk file before writeFrom resolved');
    assert.ok((await cache.read(h, 0, expected.length)).equals(expected));
    assert.equal(cache.pageFlags(h, 3) & PageFlag.DIRTY, 0, 'the default mode leaves the pages clean');
    await cache.close(h);
  });
});

test('writeFrom: an unaligned range sends its partial first and last pages through heap Buffers', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const before = pattern(6 * PAGE_SIZE, 3);
    await writeFile(path, before);
    const h = await cache.open(path, { writable: true });
    const data = pattern(3 * PAGE_SIZE, 4);
    const log: FillLog = { targets: [] };
    const result = await cache.writeFrom(h, 100, data.length, fakeFill(cache, data, log));
    assert.deepEqual(result, { count: data.length, placedBytes: 2 * PAGE_SIZE });
    assert.deepEqual(log.targets, [
      { length: PAGE_SIZE - 100, region: false },
      { length: 2 * PAGE_SIZE, region: true },
      { length: 100, region: false },
    ]);
    const expected = Buffer.from(before);
    data.copy(expected, 100);
    assert.ok((await readFile(path)).equals(expected));
    assert.ok((await cache.read(h, 0, expected.length)).equals(expected));
    await cache.close(h);
  });
});

test('writeFrom: a range inside one page, and zero bytes, use no cache page', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, pattern(PAGE_SIZE, 5));
    const h = await cache.open(path, { writable: true });
    const log: FillLog = { targets: [] };
    assert.deepEqual(await cache.writeFrom(h, 0, 0, fakeFill(cache, Buffer.alloc(0), log)), { count: 0, placedBytes: 0 });
    assert.deepEqual(log.targets, []);
    assert.equal(cache.size(h), PAGE_SIZE);
    const small = pattern(10, 6);
    assert.deepEqual(await cache.writeFrom(h, 50, 10, fakeFill(cache, small, log)), { count: 10, placedBytes: 0 });
    assert.deepEqual(log.targets, [{ length: 10, region: false }]);
    const expected = pattern(PAGE_SIZE, 5);
    small.copy(expected, 50);
    assert.ok((await readFile(path)).equals(expected));
    await cache.close(h);
  });
});

test('writeFrom: extending the file grows it when the bytes are installed, with zeros between', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, pattern(1000, 7));
    const h = await cache.open(path, { writable: true });
    await cache.read(h, 0, 1000); // the old last page is cached: its tail must read as zeros afterwards
    const data = pattern(2 * PAGE_SIZE + 10, 8);
    let sizeDuringFill = -1;
    const fill = fakeFill(cache, data);
    const result = await cache.writeFrom(h, 2 * PAGE_SIZE, data.length, async (targets) => {
      sizeDuringFill = cache.size(h);
      return fill(targets);
    });
    assert.equal(sizeDuringFill, 1000, 'the file does not grow before the data arrived');
    assert.equal(result.placedBytes, 2 * PAGE_SIZE);
    assert.equal(cache.size(h), 4 * PAGE_SIZE + 10);
    const expected = Buffer.alloc(4 * PAGE_SIZE + 10);
    pattern(1000, 7).copy(expected);
    data.copy(expected, 2 * PAGE_SIZE);
    assert.ok((await readFile(path)).equals(expected));
    assert.ok((await cache.read(h, 0, expected.length)).equals(expected));
    await cache.close(h);
  });
});

test('writeFrom: a spliced old page keeps its bytes (stable pages) while the file and new reads get the new ones', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const before = pattern(4 * PAGE_SIZE, 9);
    await writeFile(path, before);
    const h = await cache.open(path, { writable: true });
    const held = await cache.spliceToBvecs(h, 0, before.length);
    assert.equal(held.copiedBytes, 0);
    assert.equal(cache.counters().splicedPages, 4);
    const views = held.bvecs.map((bvec) => bvec.bytes());
    const data = pattern(4 * PAGE_SIZE, 10);
    const result = await cache.writeFrom(h, 0, data.length, fakeFill(cache, data));
    assert.equal(result.placedBytes, data.length);
    assert.ok(Buffer.concat(views).equals(before), 'bytes handed out before the WRITE never change');
    assert.ok((await readFile(path)).equals(data));
    const fresh = await cache.spliceToBvecs(h, 0, data.length);
    assert.ok(Buffer.concat(fresh.bvecs.map((bvec) => bvec.bytes())).equals(data));
    assert.equal(fresh.copiedBytes, 0, 'the new pages are clean and splice zero-copy');
    cache.release(fresh);
    cache.release(held);
    assert.equal(cache.counters().splicedPages, 0, 'the replaced pages are freed once released');
    await cache.close(h);
  });
});

test('writeFrom: a failing fill changes nothing and gives every page back', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const before = pattern(2 * PAGE_SIZE, 11);
    await writeFile(path, before);
    const h = await cache.open(path, { writable: true });
    assert.ok((await cache.read(h, 0, before.length)).equals(before));
    const freeBefore = cache.counters().pages.free;
    let offered = 0;
    await assert.rejects(
      cache.writeFrom(h, PAGE_SIZE, 8 * PAGE_SIZE, async (targets) => {
        offered = targets.reduce((pages, t) => pages + (t.region ? t.bytes.length / PAGE_SIZE : 0), 0);
        for (const target of targets) target.bytes.fill(0xee); // partly arrived, then the connection dropped
        throw new Error('RDMA READ flushed');
      }),
      /RDMA READ flushed/,
    );
    assert.equal(offered, 8);
    assert.equal(cache.counters().pages.free, freeBefore, 'every fresh page is back in the arena');
    assert.equal(cache.size(h), before.length);
    assert.ok((await cache.read(h, 0, before.length)).equals(before));
    assert.ok((await readFile(path)).equals(before));
    await cache.close(h);
  });
});

test('writeFrom: with no free page the whole pages arrive in heap Buffers and are stored by copy', async () => {
  await withTempCache('spliced-wf-', { writebackIntervalMs: 0, maxBytes: 4 * PAGE_SIZE, slabBytes: 4 * PAGE_SIZE, pressureWaitMs: 5 }, async (cache, dir) => {
    const other = join(dir, 'held.bin');
    await writeFile(other, pattern(4 * PAGE_SIZE, 12));
    const ho = await cache.open(other);
    const held = await cache.spliceToBvecs(ho, 0, 4 * PAGE_SIZE); // every page of the cache is pinned
    assert.equal(cache.counters().pages.free, 0);
    const path = join(dir, 'f.bin');
    await writeFile(path, Buffer.alloc(0));
    const h = await cache.open(path, { writable: true });
    const data = pattern(2 * PAGE_SIZE, 13);
    const log: FillLog = { targets: [] };
    const result = await cache.writeFrom(h, 0, data.length, fakeFill(cache, data, log));
    assert.deepEqual(result, { count: data.length, placedBytes: 0 });
    assert.deepEqual(log.targets, [{ length: 2 * PAGE_SIZE, region: false }]);
    assert.ok((await readFile(path)).equals(data));
    cache.release(held);
    assert.ok((await cache.read(h, 0, data.length)).equals(data));
    await cache.close(h);
    await cache.close(ho);
  });
});

test('writeFrom in write-behind mode tags the installed pages DIRTY; flush writes them', async () => {
  await withTempCache('spliced-wf-', { ...OPTIONS, writeBehind: true }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const before = pattern(3 * PAGE_SIZE, 14);
    await writeFile(path, before);
    const h = await cache.open(path, { writable: true });
    await cache.write(h, PAGE_SIZE, pattern(PAGE_SIZE, 15)); // an older dirty page, superseded
    const data = pattern(2 * PAGE_SIZE, 16);
    await cache.writeFrom(h, PAGE_SIZE, data.length, fakeFill(cache, data));
    assert.ok(cache.pageFlags(h, 1) & PageFlag.DIRTY);
    assert.ok(cache.pageFlags(h, 2) & PageFlag.DIRTY);
    assert.equal(cache.counters().dirtyPages, 2, 'the replaced dirty page no longer counts');
    assert.ok((await readFile(path)).equals(before), 'nothing reached the disk yet');
    await cache.flush(h);
    const expected = Buffer.from(before);
    data.copy(expected, PAGE_SIZE);
    assert.ok((await readFile(path)).equals(expected));
    assert.equal(cache.counters().dirtyPages, 0);
    await cache.close(h);
  });
});

test('writeFrom: pages still being read from disk are waited for, then replaced; a concurrent read sees each page whole, old or new', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const before = pattern(4 * PAGE_SIZE, 17);
    await writeFile(path, before);
    const h = await cache.open(path, { writable: true });
    const reading = cache.spliceToBvecs(h, 0, before.length); // its pages are loading from now on
    await Promise.resolve();
    const data = pattern(4 * PAGE_SIZE, 18);
    let loadingAtFill = 0;
    const fill = fakeFill(cache, data);
    const writing = cache.writeFrom(h, 0, data.length, async (targets) => {
      loadingAtFill = [0, 1, 2, 3].filter((i) => cache.pageRefcount(h, i) > 1).length;
      return fill(targets);
    });
    const [held, written] = await Promise.all([reading, writing]);
    assert.ok(loadingAtFill > 0, 'the READ was still filling pages when the data arrived');
    assert.equal(written.placedBytes, data.length);
    const got = Buffer.concat(held.bvecs.map((b) => b.bytes()));
    const pages = [0, 1, 2, 3].map((i) => {
      const page = got.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      return page.equals(before.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE)) ? 'old' : page.equals(data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE)) ? 'new' : 'torn';
    });
    assert.ok(!pages.includes('torn'), `every page of the concurrent READ is whole: ${pages}`);
    assert.ok((await cache.read(h, 0, data.length)).equals(data));
    assert.ok((await readFile(path)).equals(data));
    cache.release(held);
    assert.equal(cache.counters().splicedPages, 0);
    await cache.close(h);
  });
});

test('writeFrom: rewriting a range gets its fresh pages in slab order, so neighbouring pages stay one run', async () => {
  await withTempCache('spliced-wf-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, Buffer.alloc(0));
    const h = await cache.open(path, { writable: true });
    const data = pattern(16 * PAGE_SIZE, 21);
    // The first write takes pages in free-list order; the pages it replaces on the second and
    // third rewrite come back to the free list in reverse.
    for (let round = 0; round < 3; round++) {
      const regions: Array<{ slabId: number; offset: number }> = [];
      const fill = fakeFill(cache, data);
      await cache.writeFrom(h, 0, data.length, async (targets) => {
        // A target is a stretch of neighbouring pages: one region per page it holds.
        for (const t of targets) for (let k = 0; t.region && k < t.bytes.length / PAGE_SIZE; k++) regions.push({ slabId: t.region.slabId, offset: t.region.offset + k * PAGE_SIZE });
        return fill(targets);
      });
      assert.equal(regions.length, 16);
      for (let i = 1; i < regions.length; i++) {
        const follows = regions[i].slabId === regions[i - 1].slabId ? regions[i].offset > regions[i - 1].offset : regions[i].slabId > regions[i - 1].slabId;
        assert.ok(follows, `round ${round}: page ${i} comes after page ${i - 1} in slab order`);
      }
    }
    assert.ok((await cache.read(h, 0, data.length)).equals(data));
    await cache.close(h);
  });
});

test('writeFrom: a run of whole pages reaches the kernel as one write of one view', async () => {
  const fs = loadFsBinding();
  if ('error' in fs) throw new Error(fs.error);
  const calls: Array<{ positions: number[]; views: number[][] }> = [];
  const writeRunsStat = (fd: number, positions: number[], runs: Buffer[][]) => {
    calls.push({ positions, views: runs.map((run) => run.map((v) => v.length)) });
    return writeRunsStatted(fs.binding, fd, positions, runs);
  };
  await withTempCache('spliced-wf-', { ...OPTIONS, writeRunsStat }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, Buffer.alloc(0));
    const h = await cache.open(path, { writable: true });
    const data = pattern(32 * PAGE_SIZE, 22);
    await cache.writeFrom(h, 0, data.length, fakeFill(cache, data));
    assert.deepEqual(calls, [{ positions: [0], views: [[32 * PAGE_SIZE]] }]);
    assert.ok((await readFile(path)).equals(data));
    await cache.close(h);
  });
});
