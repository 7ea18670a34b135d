import type { Page } from './page.js';
import { PAGE_SIZE } from './page-flags.js';
import type { CopyReason } from './page-flags.js';

/**
 * One piece of a spliced read, like a kernel bio_vec. `slabId`/`slabOffset` locate the
 * bytes inside a registered slab so SMB Direct can build an SGE with the slab MR's lkey;
 * slabId -1 means plain heap memory (the last-resort copy under memory pressure).
 */
export interface Bvec {
  readonly page: Page | null;
  /** Offset of the data inside the page. */
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
    readonly page: Page,
    readonly offset: number,
    readonly length: number,
  ) {}

  get slabId(): number {
    return this.page.slabId;
  }

  get slabOffset(): number {
    return this.page.slabOffset + this.offset;
  }

  bytes(): Buffer {
    if (this.offset === 0 && this.length === PAGE_SIZE) return this.page.view;
    return this.page.view.subarray(this.offset, this.offset + this.length);
  }
}

export class HeapBvec implements Bvec {
  readonly page = null;
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
  /** Bytes that were copied (0 on the zero-copy path). */
  copiedBytes: number;
  /** Why the read was copied; null when spliced. */
  reason: CopyReason | null;
}
