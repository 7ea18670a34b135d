import type { PageArena } from './page-arena.js';
import type { CachedFile } from './cached-file.js';
import type { CacheStats, PageStates } from './counters.js';
import { PageFlag } from './page-flags.js';

/**
 * Pages by state. Costs the number of tagged pages, not the cache size: untagged
 * indexed pages are counted as clean by subtraction.
 */
export function pageStates(arena: PageArena, stats: CacheStats, files: readonly CachedFile[]): PageStates {
  let indexedTagged = 0;
  let dirty = 0;
  let writeback = 0;
  for (const file of files) {
    const seen = new Set<number>();
    file.index.forEachTagged((index) => seen.add(index));
    indexedTagged += seen.size;
    for (const index of seen) {
      if (arena.flags[file.index.get(index)] & PageFlag.WRITEBACK) writeback++;
      else dirty++;
    }
  }
  // A SPLICED page is never DIRTY, WRITEBACK or TOWRITE: writes replace it first.
  const splicedIndexed = arena.flagCounts.spliced - arena.orphanSpliced;
  return {
    free: arena.freeCount,
    clean: arena.indexedCount - indexedTagged - splicedIndexed,
    dirty,
    writeback,
    spliced: arena.flagCounts.spliced,
    bounce: stats.bounceOut,
  };
}
