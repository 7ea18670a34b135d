import type { Page, PageOwner } from './page.js';
import type { PageArena } from './page-arena.js';
import { PageFlag } from './page-flags.js';

/** Tags with a per-file set; SPLICED is only a page bit (it never needs a range scan). */
const TAG_BITS = [PageFlag.DIRTY, PageFlag.WRITEBACK, PageFlag.TOWRITE] as const;
const TAG_MASK = PageFlag.DIRTY | PageFlag.WRITEBACK | PageFlag.TOWRITE;

function slot(bit: number): number {
  return 31 - Math.clz32(bit);
}

/** What the owning file hears from its index. */
export interface PageIndexEvents {
  /** The last page left the index. */
  onEmpty(): void;
  /** The first page was tagged DIRTY. */
  onFirstDirty(): void;
}

/**
 * One file's pages by page index, like the kernel's i_pages xarray: O(1) lookup in a Map
 * (never an array: a client picks the offsets, and a sparse array is walked over its whole
 * length), and one Set per tag so "any DIRTY page in this range?" costs the smaller of the
 * range length and the number of tagged pages. Every walk costs the pages that exist.
 */
export class PageIndex implements PageOwner {
  private readonly pages = new Map<number, Page>();
  private readonly tagged: Set<number>[] = TAG_BITS.map(() => new Set<number>());

  constructor(
    private readonly arena: PageArena,
    private readonly events?: PageIndexEvents,
  ) {}

  get size(): number {
    return this.pages.size;
  }

  get(index: number): Page | undefined {
    return this.pages.get(index);
  }

  /** Put a page (holding its base reference) at `index`; the slot must be empty. */
  insert(index: number, page: Page): void {
    if (this.pages.has(index)) throw new Error(`page ${index} already indexed`);
    page.owner = this;
    page.index = index;
    this.pages.set(index, page);
    if (page.flags & TAG_MASK) for (const bit of TAG_BITS) if (page.flags & bit) this.retag(index, bit, true);
    this.arena.lruAdd(page);
  }

  /** Take the page out of the index and drop the index's reference. */
  remove(page: Page): void {
    this.detach(page);
    this.arena.put(page);
  }

  detach(page: Page): void {
    if (page.owner !== this) return;
    this.pages.delete(page.index);
    if (page.flags & TAG_MASK) for (const bit of TAG_BITS) if (page.flags & bit) this.tagged[slot(bit)].delete(page.index);
    if (page.flags & PageFlag.SPLICED) this.arena.orphanSpliced++;
    page.owner = null;
    this.arena.lruRemove(page);
    if (this.pages.size === 0) this.events?.onEmpty();
  }

  retag(index: number, bit: number, set: boolean): void {
    const tags = this.tagged[slot(bit)];
    if (!set) {
      tags.delete(index);
      return;
    }
    tags.add(index);
    if (bit === PageFlag.DIRTY && tags.size === 1) this.events?.onFirstDirty();
  }

  count(bit: number): number {
    return this.tagged[slot(bit)].size;
  }

  /** True when some page with index in [first, last] carries `bit`. */
  anyTagged(bit: number, first: number, last: number): boolean {
    const tags = this.tagged[slot(bit)];
    if (tags.size === 0) return false;
    if (tags.size <= last - first + 1) {
      for (const index of tags) if (index >= first && index <= last) return true;
      return false;
    }
    for (let index = first; index <= last; index++) if (tags.has(index)) return true;
    return false;
  }

  /** Sorted indexes carrying `bit`. */
  taggedIndexes(bit: number): number[] {
    return [...this.tagged[slot(bit)]].sort((a, b) => a - b);
  }

  /** Indexes of the tagged pages of every tag, for the status page. */
  forEachTagged(visit: (index: number) => void): void {
    for (const tags of this.tagged) for (const index of tags) visit(index);
  }

  /** Pages with index >= first, in index order (for truncation). */
  pagesFrom(first: number): Page[] {
    const out: Page[] = [];
    for (const page of this.pages.values()) if (page.index >= first) out.push(page);
    return out.sort((a, b) => a.index - b.index);
  }

  allPages(): Page[] {
    return [...this.pages.values()];
  }
}
