// Host-side: cache slabs are freed by freeSlab, never by a garbage collection, so making them
// must not drive V8 into mark-compacts (a fresh 2 GiB cache used to cost about 20 per GiB filled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRdmaBinding } from '../../native/index.js';
import { REPO_ROOT } from '../support/vm.js';

const BUILT_ADDON = join(REPO_ROOT, 'native', 'build', 'Release', 'spliced_rdma.node');
const SLAB_BYTES = 4 * 1024 * 1024;
const SLABS = 64; // 256 MiB of address space, never touched: nothing becomes resident

/** Counts the mark-compacts that finish while `body` runs and for a moment after. */
async function majorCollectionsDuring(body: () => Promise<void>): Promise<number> {
  let majors = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await body();
    await sleep(300); // a marking started by the last slabs finishes in this time
  } finally {
    observer.disconnect();
  }
  return majors;
}

test('making 256 MiB of slabs starts no mark-compact, and freeing them leaves the heap as it was', { skip: !existsSync(BUILT_ADDON) && 'the addon is not built: npm run build:native' }, async () => {
  const loaded = loadRdmaBinding();
  assert.ok('binding' in loaded, 'error' in loaded ? loaded.error : '');
  const { allocSlab, freeSlab } = loaded.binding;
  const slabs: ArrayBuffer[] = [];
  const majors = await majorCollectionsDuring(async () => {
    for (let k = 0; k < SLABS; k++) {
      slabs.push(allocSlab(SLAB_BYTES));
      await sleep(1); // V8 starts a marking from a task: give it the event-loop turns a server gives it
    }
  });
  assert.equal(slabs.reduce((sum, s) => sum + s.byteLength, 0), SLABS * SLAB_BYTES);
  assert.equal(majors, 0, `${majors} mark-compacts while ${SLABS} slabs were made`);
  for (const slab of slabs) freeSlab(slab);
  // Given back as they were taken: a second round behaves as the first.
  for (let round = 0; round < 2; round++) {
    const again = await majorCollectionsDuring(async () => {
      for (let k = 0; k < SLABS; k++) {
        freeSlab(allocSlab(SLAB_BYTES));
        await sleep(1);
      }
    });
    assert.equal(again, 0, `${again} mark-compacts in round ${round + 2}`);
  }
});
