// The page table costs a few bytes of typed arrays per page and no JavaScript object per page
// (issue 12: ~160 bytes of V8 heap per page before). 64K pages (256 MiB of cache) are carved,
// indexed in a file, tagged and untagged, and the V8 heap they leave behind is measured after a
// full collection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PageArena } from '../../cache/page-arena.js';
import { PageIndex } from '../../cache/page-index.js';
import { PAGE_SIZE, PageFlag } from '../../cache/page-flags.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Carve `pages` pages, index them in one file, tag and untag each. */
function indexedPages(pages: number): { arena: PageArena; index: PageIndex } {
  const arena = new PageArena({ maxBytes: pages * PAGE_SIZE, slabBytes: 1024 * PAGE_SIZE });
  const index = new PageIndex(arena);
  for (let at = 0; at < pages; at++) {
    const page = arena.allocate();
    assert.ok(page >= 0, `page ${at} carved`);
    index.insert(at, page);
    arena.setFlag(page, PageFlag.SPLICED);
    arena.clearFlag(page, PageFlag.SPLICED);
  }
  return { arena, index };
}

test('64K indexed pages leave under 8 bytes of V8 heap per page', () => {
  const pages = 64 * 1024;
  // Once small first: the code's bytecode and feedback live in the V8 heap too, and are not the pages'.
  indexedPages(2048);
  gc();
  const before = process.memoryUsage().heapUsed;
  const { arena, index } = indexedPages(pages);
  assert.equal(index.size, pages);
  assert.equal(arena.indexedCount, pages);
  gc();
  const perPage = (process.memoryUsage().heapUsed - before) / pages;
  assert.ok(perPage < 8, `${perPage.toFixed(1)} bytes of V8 heap per page`);
  // Still alive here, so the collection above could not take what they hold.
  assert.equal(index.get(pages - 1) >= 0 && arena.indexOf(index.get(pages - 1)), pages - 1);
});
