import { PAGE_SIZE } from './page-flags.js';

/** A slab and its pages in address order (page k starts at k * PAGE_SIZE). */
export interface SlabPages {
  readonly id: number;
  readonly memory: Buffer;
  readonly pages: Page[];
}

/** The part of a file's page index a page needs to reach when its tags change or it is evicted. */
export interface PageOwner {
  /** Record `bit` (DIRTY, WRITEBACK or TOWRITE) set (true) or cleared (false) on the page at `index`. */
  retag(index: number, bit: number, set: boolean): void;
  /** Take the page out of the index (eviction); the index's reference is dropped by the caller. */
  detach(page: Page): void;
}

/**
 * One 4 KiB page of a slab. `view` is created once per page, on first use, and reused, so the
 * splice path never allocates a Buffer per page.
 *
 * refcount: 0 = free; the index holds 1 (its base), each outstanding bvec, mapping
 * pin and in-flight fill holds one more. A bounce page's base is its single holder.
 */
export class Page {
  refcount = 0;
  flags = 0;
  owner: PageOwner | null = null;
  index = -1;
  /** Set while the page is being filled from disk; readers wait on it. */
  loading: Promise<void> | null = null;
  lruPrev: Page | null = null;
  lruNext: Page | null = null;
  inLru = false;
  /** Accessed since the eviction scan last passed (second chance, like PG_referenced). */
  referenced = false;
  /** A private copy handed to one reader (not in any index). */
  bounce = false;
  /** Write-behind: the bytes the client wrote since the last writeback (null: none recorded). */
  dirtyBytes: Uint8Array | null = null;

  private viewOnce: Buffer | null = null;

  constructor(
    readonly slab: SlabPages,
    /** Position of the page in its slab. */
    readonly slabIndex: number,
  ) {}

  /** The page's memory: a view of the slab, PAGE_SIZE bytes, made on first use (a new slab makes none) and kept. */
  get view(): Buffer {
    return (this.viewOnce ??= this.slab.memory.subarray(this.slabIndex * PAGE_SIZE, (this.slabIndex + 1) * PAGE_SIZE));
  }

  get slabId(): number {
    return this.slab.id;
  }

  /** Byte offset of the page inside its slab. */
  get slabOffset(): number {
    return this.slabIndex * PAGE_SIZE;
  }

  get size(): number {
    return PAGE_SIZE;
  }
}
