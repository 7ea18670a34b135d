import type { Page, SlabPages } from './page.js';
import { PAGE_SIZE } from './page-flags.js';
import type { CopyReason } from './page-flags.js';

/**
 * One piece of a spliced read, like a kernel (multi-page) bio_vec: consecutive file pages
 * that also sit next to each other in one slab share a bvec, so a 1 MiB read is usually
 * one or a few bvecs, i.e. few iovecs for writev and few SGEs for RDMA. `slabId` and
 * `slabOffset` locate the bytes inside a registered slab (SGE with the slab MR's lkey);
 * slabId -1 means plain heap memory (the last-resort copy under memory pressure).
 */
export interface Bvec {
  /** The first page covered (null for heap memory). */
  readonly page: Page | null;
  /** How many consecutive pages of the slab the bvec covers. */
  readonly pageCount: number;
  /** Offset of the data inside the first page. */
  readonly offset: number;
  readonly length: number;
  readonly slabId: number;
  /** Byte offset of the data inside the slab (page start + offset). */
  readonly slabOffset: number;
  /** A view of the bytes; no copy. */
  bytes(): Buffer;
}

export class PageBvec implements Bvec {
  held = true;

  constructor(
    readonly slab: SlabPages,
    /** The first page covered. */
    readonly page: Page,
    public pageCount: number,
    readonly offset: number,
    public length: number,
  ) {}

  get slabId(): number {
    return this.slab.id;
  }

  get slabOffset(): number {
    return (this.page - this.slab.first) * PAGE_SIZE + this.offset;
  }

  /** Whether `page` continues this bvec in memory (next page of the same slab). */
  continuedBy(page: Page): boolean {
    return page === this.page + this.pageCount && page < this.slab.first + this.slab.count;
  }

  bytes(): Buffer {
    const start = this.slabOffset;
    return this.slab.memory.subarray(start, start + this.length);
  }
}

export class HeapBvec implements Bvec {
  readonly page = null;
  readonly pageCount = 0;
  readonly offset = 0;
  readonly slabId = -1;
  readonly slabOffset = 0;

  constructor(private readonly data: Buffer) {}

  get length(): number {
    return this.data.length;
  }

  bytes(): Buffer {
    return this.data;
  }
}

export interface SpliceResult {
  bvecs: Bvec[];
  /** Bytes covered by the bvecs (short at end of file). */
  length: number;
  /** Bytes that were copied (0 when every page was spliced); the rest went zero-copy. */
  copiedBytes: number;
  /** copiedBytes by reason (a page is copied for one reason); empty when every page was spliced. */
  copiedByReason: Partial<Record<CopyReason, number>>;
  /** The reason of the first copied page; null when every page was spliced. */
  reason: CopyReason | null;
}
