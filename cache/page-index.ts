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

/** Pages per chunk of the index (256 KiB of file): one Map entry per chunk, an array inside. */
const CHUNK_PAGES = 64;

/** The pages of one CHUNK_PAGES-aligned stretch of a file, and how many there are. */
interface Chunk {
  readonly slots: (Page | undefined)[];
  count: number;
}

function chunkKey(index: number): number {
  return Math.floor(index / CHUNK_PAGES);
}

/**
 * One file's pages by page index, like the kernel's i_pages xarray: a Map of 64-page chunks
 * (never one array over the file: a client picks the offsets, and a sparse array is walked over
 * its whole length), so sequential access costs one Map lookup per 64 pages (the last chunk
 * looked up is remembered), and one Set per tag so "any DIRTY page in this range?" costs the
 * smaller of the range length and the number of tagged pages. Every walk costs the pages that exist.
 */
export class PageIndex implements PageOwner {
  private readonly chunks = new Map<number, Chunk>();
  private pageCount = 0;
  /** The key last looked up and its chunk (undefined when it has none): sequential access skips the Map. */
  private lastKey = -1;
  private lastChunk: Chunk | undefined = undefined;
  private readonly tagged: Set<number>[] = TAG_BITS.map(() => new Set<number>());

  constructor(
    private readonly arena: PageArena,
    private readonly events?: PageIndexEvents,
  ) {}

  get size(): number {
    return this.pageCount;
  }

  private chunkOf(key: number): Chunk | undefined {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastChunk = this.chunks.get(key);
    }
    return this.lastChunk;
  }

  get(index: number): Page | undefined {
    const key = chunkKey(index);
    return this.chunkOf(key)?.slots[index - key * CHUNK_PAGES];
  }

  /** Put a page (holding its base reference) at `index`; the slot must be empty. */
  insert(index: number, page: Page): void {
    const key = chunkKey(index);
    let chunk = this.chunkOf(key);
    if (chunk === undefined) {
      chunk = { slots: new Array<Page | undefined>(CHUNK_PAGES).fill(undefined), count: 0 };
      this.chunks.set(key, chunk);
      this.lastChunk = chunk;
    }
    const at = index - key * CHUNK_PAGES;
    if (chunk.slots[at] !== undefined) throw new Error(`page ${index} already indexed`);
    chunk.slots[at] = page;
    chunk.count++;
    this.pageCount++;
    page.owner = this;
    page.index = index;
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
    const key = chunkKey(page.index);
    const chunk = this.chunkOf(key)!;
    chunk.slots[page.index - key * CHUNK_PAGES] = undefined;
    if (--chunk.count === 0) {
      this.chunks.delete(key);
      this.lastChunk = undefined;
    }
    this.pageCount--;
    if (page.flags & TAG_MASK) for (const bit of TAG_BITS) if (page.flags & bit) this.tagged[slot(bit)].delete(page.index);
    if (page.flags & PageFlag.SPLICED) this.arena.orphanSpliced++;
    page.owner = null;
    this.arena.lruRemove(page);
    if (this.pageCount === 0) this.events?.onEmpty();
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
    for (const chunk of this.chunks.values()) for (const page of chunk.slots) if (page !== undefined && page.index >= first) out.push(page);
    return out.sort((a, b) => a.index - b.index);
  }

  allPages(): Page[] {
    const out: Page[] = [];
    for (const chunk of this.chunks.values()) for (const page of chunk.slots) if (page !== undefined) out.push(page);
    return out;
  }
}
