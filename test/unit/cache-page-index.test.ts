// The per-file page index (64-page chunks in a Map, with the last chunk remembered) against a
// plain Map of index -> page: random inserts, removals and lookups across chunk bounds and at
// offsets far apart (a client picks them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PageArena } from '../../cache/page-arena.js';
import { PageIndex } from '../../cache/page-index.js';
import { NO_PAGE, type Page } from '../../cache/page.js';
import { PAGE_SIZE } from '../../cache/page-flags.js';

/** Indexes near chunk bounds, and far out (the largest file offset is 2^53 bytes: 2^41 pages). */
const indexArb = fc.oneof(
  fc.integer({ min: 0, max: 200 }),
  fc.integer({ min: 0, max: 3 }).map((k) => 2 ** 41 - 1 - k),
  fc.integer({ min: 0, max: 130 }).map((k) => 2 ** 32 - 65 + k),
);
const opArb = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), index: indexArb }),
  fc.record({ kind: fc.constant('remove' as const), index: indexArb }),
  fc.record({ kind: fc.constant('get' as const), index: indexArb }),
);

test('the page index agrees with a plain Map through inserts, removals and lookups', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const arena = new PageArena({ maxBytes: 512 * PAGE_SIZE, slabBytes: 64 * PAGE_SIZE });
      let emptied = 0;
      const index = new PageIndex(arena, { onEmpty: () => emptied++, onFirstDirty: () => undefined });
      const model = new Map<number, Page>();
      for (const op of ops) {
        if (op.kind === 'insert' && !model.has(op.index)) {
          const page = arena.allocate();
          index.insert(op.index, page);
          model.set(op.index, page);
          assert.equal(arena.indexOf(page), op.index);
        } else if (op.kind === 'insert') {
          assert.throws(() => index.insert(op.index, model.get(op.index)!), /already indexed/);
        } else if (op.kind === 'remove' && model.has(op.index)) {
          const before = emptied;
          index.remove(model.get(op.index)!);
          model.delete(op.index);
          assert.equal(emptied - before, model.size === 0 ? 1 : 0, 'onEmpty exactly when the last page goes');
        }
        assert.equal(index.get(op.index), model.get(op.index) ?? NO_PAGE);
        assert.equal(index.get(op.index + 1), model.get(op.index + 1) ?? NO_PAGE);
        assert.equal(index.size, model.size);
      }
      for (const [at, page] of model) assert.equal(index.get(at), page);
      const sorted = [...model.keys()].sort((a, b) => a - b);
      assert.deepEqual(new Set(index.allPages()), new Set(model.values()));
      const from = sorted.length > 0 ? sorted[sorted.length >> 1] : 0;
      assert.deepEqual(
        index.pagesFrom(from).map((page) => arena.indexOf(page)),
        sorted.filter((at) => at >= from),
      );
      assert.equal(arena.indexedCount, model.size, 'every indexed page is on the LRU, no other');
    }),
    { numRuns: 300 },
  );
});
