import { COPY_REASONS, type CopyReason } from './page-flags.js';

/** Monotonic event counters, bumped in place by the cache. */
export interface CacheStats {
  zeroCopyBytes: number;
  copiedBytes: Record<CopyReason, number>;
  cowReplacements: number;
  hits: number;
  misses: number;
  readaheadPages: number;
  writebackBytes: number;
  writeThroughBytes: number;
  bounceOut: number;
  /** Files looked at by the background flusher, summed over its passes. */
  flusherFileVisits: number;
  fdatasyncs: number;
}

export function newStats(): CacheStats {
  const copiedBytes = Object.fromEntries(COPY_REASONS.map((reason) => [reason, 0])) as Record<CopyReason, number>;
  return {
    zeroCopyBytes: 0,
    copiedBytes,
    cowReplacements: 0,
    hits: 0,
    misses: 0,
    readaheadPages: 0,
    writebackBytes: 0,
    writeThroughBytes: 0,
    bounceOut: 0,
    flusherFileVisits: 0,
    fdatasyncs: 0,
  };
}

/** Pages by state for the status page. A page is counted once, in the first state that applies. */
export interface PageStates {
  /** On the free list or not yet carved from a slab. */
  free: number;
  /** In an index, untagged. */
  clean: number;
  /** DIRTY or TOWRITE and not under writeback. */
  dirty: number;
  writeback: number;
  /** SPLICED (in an index or replaced and waiting for its last reference). */
  spliced: number;
  /** Private copies handed to readers on the copy path. */
  bounce: number;
}

/** Snapshot returned by PageCache.counters(): plain numbers only. */
export interface CacheCounters {
  zeroCopyBytes: number;
  /** Total bytes served by copying, and the same split by reason. */
  copiedBytes: number;
  copiedBytesByReason: Record<CopyReason, number>;
  cowReplacements: number;
  /** Pages currently tagged SPLICED. */
  splicedPages: number;
  evictions: number;
  hits: number;
  misses: number;
  readaheadPages: number;
  dirtyPages: number;
  writebackPages: number;
  towritePages: number;
  writebackBytes: number;
  /** Bytes written straight to disk because no page could be had under memory pressure. */
  writeThroughBytes: number;
  /** Files the cache keeps state for (open, or with cached pages). */
  trackedFiles: number;
  /** Names the cache maps to those files. */
  trackedPaths: number;
  /** Files looked at by the background flusher, summed over its passes. */
  flusherFileVisits: number;
  /** fdatasync calls (FLUSH, write-through WRITEs, shutdown). */
  fdatasyncs: number;
  totalPages: number;
  maxPages: number;
  slabs: number;
  pages: PageStates;
}
