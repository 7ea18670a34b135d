/**
 * A page of the arena is its number: slab position * pages per slab + position in the slab.
 * Its state lives in the arena's typed arrays (page-arena.ts), not in an object per page, so a
 * cache of N pages costs a few bytes per page and nothing for the garbage collector to trace.
 */
export type Page = number;

/** No page (an empty slot, the end of a list). */
export const NO_PAGE = -1;

/** A slab and where its pages start (page `first + k` is at byte k * PAGE_SIZE of `memory`). */
export interface SlabPages {
  readonly id: number;
  readonly memory: Buffer;
  readonly first: Page;
  readonly count: number;
}

/** The part of a file's page index a page needs to reach when its tags change or it is evicted. */
export interface PageOwner {
  /** Record `bit` (DIRTY, WRITEBACK or TOWRITE) set (true) or cleared (false) on the page at `index`. */
  retag(index: number, bit: number, set: boolean): void;
  /** Take the page out of the index (eviction); the index's reference is dropped by the caller. */
  detach(page: Page): void;
}
