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
  let splicedIndexed = 0;
  for (const file of files) {
    const seen = new Set<number>();
    file.index.forEachTagged((index) => seen.add(index));
    indexedTagged += seen.size;
    for (const index of seen) {
      const flags = file.index.get(index)!.flags;
      if (flags & PageFlag.WRITEBACK) writeback++;
      else if (flags & (PageFlag.DIRTY | PageFlag.TOWRITE)) dirty++;
      else if (flags & PageFlag.SPLICED) splicedIndexed++;
    }
  }
  const splicedOrphans = Math.max(0, arena.flagCounts.spliced - countSplicedIndexed(files));
  return {
    free: arena.freeCount,
    clean: arena.indexedCount - indexedTagged,
    dirty,
    writeback,
    spliced: splicedIndexed + splicedOrphans,
    bounce: stats.bounceOut,
  };
}

function countSplicedIndexed(files: readonly CachedFile[]): number {
  let total = 0;
  for (const file of files) total += file.index.count(PageFlag.SPLICED);
  return total;
}
