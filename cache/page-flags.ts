/** Cache page size; matches the kernel page size the design mirrors. */
export const PAGE_SIZE = 4096;

/**
 * Tag bits of a page in a file's index, mirroring the i_pages xarray marks
 * (PAGECACHE_TAG_DIRTY / _WRITEBACK / _TOWRITE) plus the proposed SPLICED mark.
 */
export const PageFlag = {
  DIRTY: 1 << 0,
  WRITEBACK: 1 << 1,
  TOWRITE: 1 << 2,
  SPLICED: 1 << 3,
} as const;

/**
 * Tags that force the copy path in spliceToBvecs(), most specific first: a TOWRITE page
 * is also DIRTY (queued for a sync), so it is reported as 'towrite'.
 */
export const COPY_TAGS = [
  [PageFlag.WRITEBACK, 'writeback'],
  [PageFlag.TOWRITE, 'towrite'],
  [PageFlag.DIRTY, 'dirty'],
] as const;

/** Why a read was served by copying instead of splicing. */
export const COPY_REASONS = ['mapped', 'dirty', 'writeback', 'towrite', 'forced', 'pressure'] as const;
export type CopyReason = (typeof COPY_REASONS)[number];
