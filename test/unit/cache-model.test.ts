import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PageCache, PAGE_SIZE } from '../../cache/index.js';
import { runCacheModel } from '../soak/cache-model-soak.js';

test('model-based: random interleavings of cache operations agree with a plain file model', async () => {
  await runCacheModel({ runs: 250, seed: 20261127 });
});

const HALF = PAGE_SIZE / 2;

/** Each write stays inside its own half page, so concurrent writes never overlap and the result is fixed. */
const writeArb = fc.record({ slot: fc.integer({ min: 0, max: 31 }), at: fc.integer({ min: 0, max: HALF - 1 }), len: fc.integer({ min: 1, max: HALF }), value: fc.integer({ min: 1, max: 255 }) });
const readArb = fc.record({ offset: fc.integer({ min: 0, max: 16 * PAGE_SIZE }), length: fc.integer({ min: 1, max: 6 * PAGE_SIZE }) });

let writeThroughSeen = 0;

test('concurrent writes, reads and flushes in a tiny cache: reads see old or new bytes, the end state is exact', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 16 * PAGE_SIZE }),
      fc.uniqueArray(writeArb, { selector: (w) => w.slot, maxLength: 12 }),
      fc.array(readArb, { maxLength: 8 }),
      fc.integer({ min: 4, max: 12 }),
      fc.array(fc.boolean(), { maxLength: 3 }),
      async (size, writes, reads, cachePages, syncs) => {
        const dir = await mkdtemp(join(tmpdir(), 'spliced-conc-'));
        const path = join(dir, 'f.bin');
        const initial = Buffer.alloc(size, 0xaa);
        await writeFile(path, initial);
        const cache = new PageCache({ maxBytes: cachePages * PAGE_SIZE, slabBytes: 2 * PAGE_SIZE, pressureWaitMs: 1, writebackIntervalMs: 0 });
        try {
          const handle = await cache.open(path, { writable: true });
          let expected = Buffer.from(initial);
          for (const w of writes) {
            const start = w.slot * HALF + Math.min(w.at, HALF - w.len);
            if (start + w.len > expected.length) expected = Buffer.concat([expected, Buffer.alloc(start + w.len - expected.length)]);
            expected.fill(w.value, start, start + w.len);
          }
          const ops: Array<Promise<unknown>> = writes.map((w) => cache.write(handle, w.slot * HALF + Math.min(w.at, HALF - w.len), Buffer.alloc(w.len, w.value)));
          const results = reads.map((r) => cache.spliceToBvecs(handle, r.offset, r.length));
          ops.push(...results);
          // Writeback and FLUSH racing with the writes must not lose or tear any of them.
          ops.push(...syncs.map((durable) => (durable ? cache.flush(handle) : cache.writeback(handle))));
          await Promise.all(ops);
          for (const [k, pending] of results.entries()) {
            const result = await pending;
            const got = Buffer.concat(result.bvecs.map((b) => b.bytes()));
            const { offset } = reads[k];
            for (let i = 0; i < got.length; i++) {
              const now = expected[offset + i] ?? 0;
              assert.ok(got[i] === 0xaa || got[i] === now || got[i] === 0, `read ${k} byte ${offset + i}: ${got[i]}`);
            }
            cache.release(result);
          }
          assert.ok((await cache.read(handle, 0, expected.length + PAGE_SIZE)).equals(expected), 'final content');
          await cache.flush(handle);
          assert.ok((await readFile(path)).equals(expected), 'disk after flush');
          assert.equal(cache.counters().splicedPages, 0);
          writeThroughSeen += cache.counters().writeThroughBytes;
          await cache.close(handle);
        } finally {
          await cache.shutdown();
          await rm(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 150, seed: 4242 },
  );
  assert.ok(writeThroughSeen > 0, 'the tiny cache forced some writes straight to disk');
});
