/**
 * CacheFileIo.write given the pieces a message arrived in: each piece is copied once, straight into
 * the page that will hold its bytes (PageCache.writeFrom), whatever the alignment of the offset and
 * of the pieces; the file, the cache and a later read see exactly the bytes written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheFileIoProvider, PAGE_SIZE, PageFlag } from '../../cache/index.js';
import { copyPieces } from '../../cache/cache-file-io.js';
import { joinAdjacent } from '../../cache/kernel-writes.js';
import { withTempCache } from '../support/temp-cache.js';
import { pattern } from '../support/stable-pages.js';

/** `data` cut at the given lengths (the rest in a last piece). */
function cut(data: Buffer, lengths: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const n of lengths) {
    out.push(data.subarray(at, at + n));
    at += n;
  }
  if (at < data.length) out.push(data.subarray(at));
  return out;
}

test('copyPieces: pieces of any size fill neighbouring and separate targets in order, and stop at the shorter side', () => {
  const memory = Buffer.alloc(100, 0xaa);
  const elsewhere = Buffer.alloc(7, 0xaa);
  // 0..10 and 10..30 are neighbours (one copy), 40..45 is not, then another buffer.
  const targets = [memory.subarray(0, 10), memory.subarray(10, 30), memory.subarray(40, 45), elsewhere].map((bytes) => ({ bytes, region: null }));
  const data = pattern(42, 5);
  assert.equal(copyPieces(cut(data, [3, 1, 20, 9]), targets), 42);
  assert.ok(memory.subarray(0, 30).equals(data.subarray(0, 30)));
  assert.ok(memory.subarray(30, 40).equals(Buffer.alloc(10, 0xaa)), 'the gap between targets is untouched');
  assert.ok(memory.subarray(40, 45).equals(data.subarray(30, 35)));
  assert.ok(elsewhere.equals(data.subarray(35, 42)));
  assert.equal(copyPieces([Buffer.alloc(5, 1)], targets), 5, 'fewer bytes than targets: only those');
});

const OPTIONS = { writebackIntervalMs: 0, maxBytes: 256 * PAGE_SIZE, slabBytes: 64 * PAGE_SIZE };

test('pieces at an unaligned offset: partial first and last pages, a cached page, growth past the end', async () => {
  await withTempCache('spliced-wp-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const before = pattern(5 * PAGE_SIZE + 100, 1);
    await writeFile(path, before);
    const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
    assert.ok((await io.read(2 * PAGE_SIZE, PAGE_SIZE)).chunks.length > 0, 'page 2 is cached before the write');
    const data = pattern(7 * PAGE_SIZE + 333, 2);
    const offset = PAGE_SIZE + 77;
    const pieces = cut(data, [1, 4095, 10, PAGE_SIZE * 2 + 5, 3]);
    assert.equal(await io.write(offset, pieces), data.length);
    const expected = Buffer.alloc(offset + data.length);
    before.copy(expected);
    data.copy(expected, offset);
    assert.ok((await readFile(path)).equals(expected), 'the disk file has the bytes once write() resolved');
    const payload = await io.read(0, expected.length);
    assert.ok(Buffer.concat(payload.chunks).equals(expected), 'a read through the cache sees them');
    payload.release();
    assert.equal(io.size(), expected.length);
    await io.close();
  });
});

test('pieces written past the end of the file leave zeros in the gap', async () => {
  await withTempCache('spliced-wp-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'g.bin');
    await writeFile(path, Buffer.from('start'));
    const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
    const data = pattern(3 * PAGE_SIZE, 3);
    await io.write(2 * PAGE_SIZE + 9, cut(data, [100, 5000]));
    const expected = Buffer.alloc(2 * PAGE_SIZE + 9 + data.length);
    Buffer.from('start').copy(expected);
    data.copy(expected, 2 * PAGE_SIZE + 9);
    assert.ok((await readFile(path)).equals(expected));
    await io.close();
  });
});

test('write-behind: pieces land in DIRTY pages, and reach the disk with the flush', async () => {
  await withTempCache('spliced-wp-', { ...OPTIONS, writeBehind: true }, async (cache, dir) => {
    const path = join(dir, 'h.bin');
    await writeFile(path, Buffer.alloc(0));
    const h = await cache.open(path, { writable: true });
    const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
    const data = pattern(4 * PAGE_SIZE, 4);
    await io.write(0, cut(data, [PAGE_SIZE + 1, 2 * PAGE_SIZE]));
    assert.notEqual(cache.pageFlags(h, 1) & PageFlag.DIRTY, 0, 'a whole page is dirty');
    assert.notEqual((await readFile(path)).length, data.length, 'nothing written to the disk yet');
    await io.flush();
    assert.ok((await readFile(path)).equals(data));
    await io.close();
    await cache.close(h);
  });
});

test('joinAdjacent: views that follow one another in one memory become one view; others stay apart, in order', () => {
  const a = Buffer.alloc(64, 1);
  const b = Buffer.alloc(16, 2);
  const views = [a.subarray(0, 8), a.subarray(8, 16), a.subarray(16, 40), b.subarray(0, 8), a.subarray(40, 48), a.subarray(56, 64), b.subarray(8, 16)];
  const joined = joinAdjacent(views);
  assert.deepEqual(joined.map((v) => [v.buffer === a.buffer ? 'a' : 'b', v.byteOffset - (v.buffer === a.buffer ? a.byteOffset : b.byteOffset), v.length]), [
    ['a', 0, 40],
    ['b', 0, 8],
    ['a', 40, 8],
    ['a', 56, 8],
    ['b', 8, 8],
  ]);
  assert.ok(Buffer.concat(joined).equals(Buffer.concat(views)));
  assert.deepEqual(joinAdjacent([]), []);
});

test('overlapping WRITEs queued together reach the disk in the order they were stored; disjoint ones all land', async () => {
  await withTempCache('spliced-wp-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'o.bin');
    await writeFile(path, Buffer.alloc(0));
    const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
    for (let round = 0; round < 20; round++) {
      const first = pattern(3 * PAGE_SIZE, 10 + round);
      const second = pattern(PAGE_SIZE + 10, 40 + round);
      const far = pattern(2 * PAGE_SIZE, 70 + round);
      await Promise.all([io.write(0, cut(first, [PAGE_SIZE + 1])), io.write(PAGE_SIZE - 5, cut(second, [7])), io.write(8 * PAGE_SIZE, cut(far, [9]))]);
      const expected = Buffer.alloc(10 * PAGE_SIZE);
      first.copy(expected);
      second.copy(expected, PAGE_SIZE - 5);
      far.copy(expected, 8 * PAGE_SIZE);
      assert.ok((await readFile(path)).equals(expected), `round ${round}: the later WRITE wins where they overlap`);
    }
    await io.close();
  });
});
