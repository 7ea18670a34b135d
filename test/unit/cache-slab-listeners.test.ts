// The contract SMB Direct builds on: one MR per slab, registered before the slab's pages carry
// data and deregistered before its memory goes back to the allocator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_SIZE, PageCache, type SlabAllocator } from '../../cache/index.js';
import { withTempCache } from '../support/temp-cache.js';
import { pattern } from '../support/stable-pages.js';

/** Buffer slabs that log allocation and release into `events`. */
function loggingAllocator(events: string[]): SlabAllocator {
  let next = 1;
  return {
    allocate(bytes) {
      const id = next++;
      events.push(`alloc ${id}`);
      return { id, memory: Buffer.alloc(bytes) };
    },
    release(id) {
      events.push(`free ${id}`);
    },
  };
}

test('onSlab tells a listener about the slabs that exist when it subscribes and then about each new one, once each', async () => {
  const events: string[] = [];
  await withTempCache('spliced-slabs-', { allocator: loggingAllocator(events), maxBytes: 8 * PAGE_SIZE, slabBytes: 2 * PAGE_SIZE, writebackIntervalMs: 0 }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, pattern(6 * PAGE_SIZE, 1));
    const h = await cache.open(path);
    cache.release(await cache.spliceToBvecs(h, 0, 3 * PAGE_SIZE)); // two slabs
    const early: number[] = [];
    cache.onSlab((slab) => void early.push(slab.id));
    assert.deepEqual(early, [1, 2], 'the existing slabs, at subscription');
    const late: number[] = [];
    cache.onSlab((slab) => {
      // A new slab is announced before any of its pages is filled: its memory is still all zeros.
      if (late.length >= 2) assert.ok(slab.memory.every((b) => b === 0), `slab ${slab.id} announced before use`);
      late.push(slab.id);
    });
    assert.deepEqual(late, [1, 2]);
    const r = await cache.spliceToBvecs(h, 3 * PAGE_SIZE, 3 * PAGE_SIZE); // needs a third and fourth slab
    assert.ok(Buffer.concat(r.bvecs.map((b) => b.bytes())).equals(pattern(6 * PAGE_SIZE, 1).subarray(3 * PAGE_SIZE)));
    cache.release(r);
    const slabIds = cache.slabs().map((s) => s.id);
    assert.ok(slabIds.length > 2);
    assert.deepEqual(early, slabIds, 'each new slab once');
    assert.deepEqual(late, slabIds);
    await cache.close(h);
  });
});

test('a listener\'s cleanup runs for each slab before its memory is released, and on unsubscribe', async () => {
  const events: string[] = [];
  const cache = new PageCache({ allocator: loggingAllocator(events), maxBytes: 4 * PAGE_SIZE, slabBytes: 2 * PAGE_SIZE, writebackIntervalMs: 0 });
  await withTempCache('spliced-slabs-', {}, async (_unused, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, pattern(4 * PAGE_SIZE, 2));
    const unsubscribeA = cache.onSlab((slab) => {
      events.push(`register A ${slab.id}`);
      return () => events.push(`deregister A ${slab.id}`);
    });
    cache.onSlab((slab) => {
      events.push(`register B ${slab.id}`);
      return () => events.push(`deregister B ${slab.id}`);
    });
    const h = await cache.open(path);
    cache.release(await cache.spliceToBvecs(h, 0, 4 * PAGE_SIZE));
    await cache.close(h);
    assert.deepEqual(events, ['alloc 1', 'register A 1', 'register B 1', 'alloc 2', 'register A 2', 'register B 2']);
    events.length = 0;
    unsubscribeA();
    unsubscribeA();
    assert.deepEqual(events, ['deregister A 1', 'deregister A 2'], 'unsubscribing deregisters, once');
    events.length = 0;
    await cache.shutdown();
    cache.destroy();
    assert.deepEqual(events, ['deregister B 1', 'free 1', 'deregister B 2', 'free 2'], 'each MR goes before its memory');
  });
});
