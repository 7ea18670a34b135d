import { NO_PAGE, type Page, type PageOwner } from './page.js';
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

/** Pages per chunk of the index (256 KiB of file): one Map entry per chunk, a typed array inside. */
const CHUNK_PAGES = 64;
/** Where a chunk keeps how many of its slots hold a page. */
const COUNT = CHUNK_PAGES;

/** The pages of one CHUNK_PAGES-aligned stretch of a file (NO_PAGE where none), then their count at COUNT. */
type Chunk = Int32Array;

function newChunk(): Chunk {
  const chunk = new Int32Array(CHUNK_PAGES + 1).fill(NO_PAGE);
  chunk[COUNT] = 0;
  return chunk;
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
 * The index holds an owner id of the arena while it holds pages.
 */
export class PageIndex implements PageOwner {
  /** Chunks by key; a file whose pages all fall in one chunk keeps it in `sole` and has no Map. */
  private chunks: Map<number, Chunk> | null = null;
  private soleKey = -1;
  private sole: Chunk | undefined = undefined;
  private pageCount = 0;
  private ownerId = 0;
  /** The key last looked up and its chunk (undefined when it has none): sequential access skips the Map. */
  private lastKey = -1;
  private lastChunk: Chunk | undefined = undefined;
  /** Indexes carrying each tag; made on first use (most files never have a tagged page). */
  private readonly tagged: (Set<number> | null)[] = [null, null, null];

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
      this.lastChunk = this.chunks ? this.chunks.get(key) : key === this.soleKey ? this.sole : undefined;
    }
    return this.lastChunk;
  }

  private addChunk(key: number, chunk: Chunk): void {
    if (this.chunks) this.chunks.set(key, chunk);
    else if (this.sole === undefined) {
      this.soleKey = key;
      this.sole = chunk;
    } else {
      this.chunks = new Map([[this.soleKey, this.sole], [key, chunk]]);
      this.sole = undefined;
      this.soleKey = -1;
    }
    this.lastKey = key;
    this.lastChunk = chunk;
  }

  private dropChunk(key: number): void {
    if (this.chunks) this.chunks.delete(key);
    else if (key === this.soleKey) {
      this.sole = undefined;
      this.soleKey = -1;
    }
    this.lastChunk = undefined;
  }

  private allChunks(): Iterable<Chunk> {
    return this.chunks ? this.chunks.values() : this.sole ? [this.sole] : [];
  }

  /** The page at `index`, or NO_PAGE. */
  get(index: number): Page {
    const key = chunkKey(index);
    const chunk = this.chunkOf(key);
    return chunk === undefined ? NO_PAGE : chunk[index - key * CHUNK_PAGES];
  }

  has(index: number): boolean {
    return this.get(index) !== NO_PAGE;
  }

  /** Whether `page` is in this index. */
  holds(page: Page): boolean {
    return this.ownerId !== 0 && this.arena.ownedBy(page, this);
  }

  /** Put a page (holding its base reference) at `index`; the slot must be empty. */
  insert(index: number, page: Page): void {
    const key = chunkKey(index);
    let chunk = this.chunkOf(key);
    if (chunk === undefined) {
      chunk = newChunk();
      this.addChunk(key, chunk);
    }
    const at = index - key * CHUNK_PAGES;
    if (chunk[at] !== NO_PAGE) throw new Error(`page ${index} already indexed`);
    chunk[at] = page;
    chunk[COUNT]++;
    if (this.pageCount++ === 0) this.ownerId = this.arena.ownerId(this);
    this.arena.setOwner(page, this.ownerId, index);
    const flags = this.arena.flags[page];
    if (flags & TAG_MASK) for (const bit of TAG_BITS) if (flags & bit) this.retag(index, bit, true);
    this.arena.lruAdd(page);
  }

  /** Take the page out of the index and drop the index's reference. */
  remove(page: Page): void {
    this.detach(page);
    this.arena.put(page);
  }

  detach(page: Page): void {
    if (!this.holds(page)) return;
    const index = this.arena.indexOf(page);
    const key = chunkKey(index);
    const chunk = this.chunkOf(key)!;
    chunk[index - key * CHUNK_PAGES] = NO_PAGE;
    if (--chunk[COUNT] === 0) this.dropChunk(key);
    const flags = this.arena.flags[page];
    if (flags & TAG_MASK) for (const bit of TAG_BITS) if (flags & bit) this.tagged[slot(bit)]?.delete(index);
    if (flags & PageFlag.SPLICED) this.arena.orphanSpliced++;
    this.arena.setOwner(page, 0, -1);
    this.arena.lruRemove(page);
    if (--this.pageCount === 0) {
      this.chunks = null;
      this.arena.releaseOwnerId(this.ownerId);
      this.ownerId = 0;
      this.events?.onEmpty();
    }
  }

  retag(index: number, bit: number, set: boolean): void {
    if (!set) {
      this.tagged[slot(bit)]?.delete(index);
      return;
    }
    const tags = (this.tagged[slot(bit)] ??= new Set<number>());
    tags.add(index);
    if (bit === PageFlag.DIRTY && tags.size === 1) this.events?.onFirstDirty();
  }

  count(bit: number): number {
    return this.tagged[slot(bit)]?.size ?? 0;
  }

  /** True when some page with index in [first, last] carries `bit`. */
  anyTagged(bit: number, first: number, last: number): boolean {
    const tags = this.tagged[slot(bit)];
    if (!tags || tags.size === 0) return false;
    if (tags.size <= last - first + 1) {
      for (const index of tags) if (index >= first && index <= last) return true;
      return false;
    }
    for (let index = first; index <= last; index++) if (tags.has(index)) return true;
    return false;
  }

  /** Sorted indexes carrying `bit`. */
  taggedIndexes(bit: number): number[] {
    return [...(this.tagged[slot(bit)] ?? [])].sort((a, b) => a - b);
  }

  /** Indexes of the tagged pages of every tag, for the status page. */
  forEachTagged(visit: (index: number) => void): void {
    for (const tags of this.tagged) if (tags) for (const index of tags) visit(index);
  }

  /** Pages with index >= first, in index order (for truncation). */
  pagesFrom(first: number): Page[] {
    const out: Page[] = [];
    for (const chunk of this.allChunks()) for (let k = 0; k < CHUNK_PAGES; k++) if (chunk[k] !== NO_PAGE && this.arena.indexOf(chunk[k]) >= first) out.push(chunk[k]);
    return out.sort((a, b) => this.arena.indexOf(a) - this.arena.indexOf(b));
  }

  /** Remove every page that carries none of the `keep` tags and is not being filled. */
  removeUntagged(keep: number): void {
    for (const page of this.allPages()) if (!(this.arena.flags[page] & keep) && !this.arena.isLoading(page)) this.remove(page);
  }

  allPages(): Page[] {
    const out: Page[] = [];
    for (const chunk of this.allChunks()) for (let k = 0; k < CHUNK_PAGES; k++) if (chunk[k] !== NO_PAGE) out.push(chunk[k]);
    return out;
  }
}
