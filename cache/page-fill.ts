import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import { NO_PAGE, type Page } from './page.js';
import type { PageArena } from './page-arena.js';
import { PAGE_SIZE } from './page-flags.js';
import { readIntoViews } from './fd-io.js';
import { inReadaheadLane } from './readahead-lanes.js';

/** Attempts before pinRange() gives up and the caller falls back (pressure, or pages replaced meanwhile). */
const PIN_ATTEMPTS = 4;
/**
 * Pages one preadv of a READ's own misses fills at most (1 MiB): a long run becomes several reads
 * that the libuv threadpool's threads copy in parallel, and the READ waits for the slowest.
 */
const FILL_CHUNK_PAGES = 256;
/**
 * Pages one read-ahead preadv fills at most (4 MiB, at most IOV_MAX iovecs): read-ahead runs in
 * a few lanes (readahead-lanes.ts), and each lane needs the event loop between reads, so a lane
 * must move a lot per turn.
 */
const READAHEAD_CHUNK_PAGES = 1024;
/** One file's read-ahead window takes at most this share of the cache (1/8), so it never pushes out what it read ahead. */
const READAHEAD_CACHE_SHARE = 8;

/**
 * Pin the pages [first, last] of `file`, reading misses from disk into fresh pages.
 * On return every page is filled, still the one in the index, and carries one extra
 * reference the caller must drop (arena.unref) or hand on. Null when the pages cannot
 * all be had under memory pressure.
 */
export async function pinRange(ctx: CacheContext, file: CachedFile, first: number, last: number): Promise<Page[] | null> {
  for (let attempt = 0; attempt < PIN_ATTEMPTS; attempt++) {
    const pages = await tryPin(ctx, file, first, last);
    if (pages === null) {
      if (attempt + 1 < PIN_ATTEMPTS) await ctx.arena.waitForFree(ctx.tuning.pressureWaitMs);
      continue;
    }
    if (stillIndexed(file, first, pages)) return pages;
    for (const page of pages) ctx.arena.unref(page);
  }
  return null;
}

/** Fresh pages, in slab order, for the indexes of [first, last] not cached (fewer when memory is short). */
function freshPagesFor(ctx: CacheContext, file: CachedFile, first: number, last: number): Page[] {
  let missing = 0;
  for (let index = first; index <= last; index++) if (!file.index.has(index)) missing++;
  return ctx.arena.allocateInSlabOrder(missing);
}

function stillIndexed(file: CachedFile, first: number, pages: Page[]): boolean {
  for (let k = 0; k < pages.length; k++) if (file.index.get(first + k) !== pages[k]) return false;
  return true;
}

async function tryPin(ctx: CacheContext, file: CachedFile, first: number, last: number): Promise<Page[] | null> {
  const { arena, stats } = ctx;
  const pages: Page[] = new Array(last - first + 1);
  const fresh = freshPagesFor(ctx, file, first, last);
  let taken = 0;
  const waits: Promise<void>[] = [];
  let runStart = -1;
  const runs: number[] = [];
  for (let index = first; index <= last; index++) {
    let page: Page = file.index.get(index);
    if (page !== NO_PAGE) {
      stats.hits++;
      arena.refcount[page]++;
      arena.touch(page);
      // Pages of one fill share its promise: wait on each fill once, not once per page.
      const loading = arena.loading(page);
      if (loading !== null && loading !== waits[waits.length - 1]) waits.push(loading);
      if (runStart >= 0) runs.push(runStart, index - 1);
      runStart = -1;
    } else {
      if (taken === fresh.length) {
        abandon(ctx, file, pages, first, index, runs, runStart);
        return null;
      }
      page = fresh[taken++];
      stats.misses++;
      arena.refcount[page]++;
      file.index.insert(index, page);
      if (runStart < 0) runStart = index;
    }
    pages[index - first] = page;
  }
  if (runStart >= 0) runs.push(runStart, last);
  for (let k = taken; k < fresh.length; k++) arena.put(fresh[k]); // none unless eviction took a cached page meanwhile
  for (let r = 0; r < runs.length; r += 2) waits.push(fillRun(ctx, file, runs[r], pages.slice(runs[r] - first, runs[r + 1] - first + 1)));
  if (waits.length > 0) {
    try {
      await (waits.length === 1 ? waits[0] : Promise.all(waits));
    } catch (err) {
      for (const page of pages) arena.unref(page);
      throw err;
    }
  }
  return pages;
}

/** Undo a partly pinned range: drop pins, and take unfilled fresh pages back out of the index. */
function abandon(ctx: CacheContext, file: CachedFile, pages: Page[], first: number, stop: number, runs: number[], runStart: number): void {
  const fresh = new Set<number>();
  for (let r = 0; r < runs.length; r += 2) for (let i = runs[r]; i <= runs[r + 1]; i++) fresh.add(i);
  if (runStart >= 0) for (let i = runStart; i < stop; i++) fresh.add(i);
  for (let index = first; index < stop; index++) {
    const page = pages[index - first];
    if (fresh.has(index)) file.index.remove(page);
    ctx.arena.unref(page);
  }
}

/**
 * Fill consecutive fresh pages (already indexed and pinned) from disk straight into page
 * memory: one preadv per FILL_CHUNK_PAGES, each iovec a stretch of pages that are neighbours
 * in their slab. Concurrent readers of these pages wait on `page.loading` (their chunk's read).
 */
export function fillRun(ctx: CacheContext, file: CachedFile, firstIndex: number, pages: Page[], ahead = false): Promise<void> {
  const chunk = ahead ? READAHEAD_CHUNK_PAGES : FILL_CHUNK_PAGES;
  if (pages.length <= chunk) return fillChunk(ctx.arena, file, firstIndex, pages, ahead);
  const chunks: Promise<void>[] = [];
  for (let k = 0; k < pages.length; k += chunk) chunks.push(fillChunk(ctx.arena, file, firstIndex + k, pages.slice(k, k + chunk), ahead));
  return Promise.all(chunks).then(() => undefined);
}

/** `ahead`: a read-ahead chunk, which waits for a lane (demand fills never queue). */
function fillChunk(arena: PageArena, file: CachedFile, firstIndex: number, pages: Page[], ahead: boolean): Promise<void> {
  const reading = ahead ? inReadaheadLane(file, () => readChunk(arena, file, firstIndex, pages)) : readChunk(arena, file, firstIndex, pages);
  const fill = reading.then(
    () => arena.endLoading(pages, id),
    (err: unknown) => {
      arena.endLoading(pages, id);
      for (const page of pages) if (file.index.holds(page)) file.index.remove(page);
      throw err;
    },
  );
  const id = arena.startLoading(pages, fill);
  file.addFill(fill);
  const forget = (): void => file.deleteFill(fill);
  fill.then(forget, forget);
  return fill;
}

async function readChunk(arena: PageArena, file: CachedFile, firstIndex: number, pages: Page[]): Promise<void> {
  // A page dropped while its bytes were still queued for the kernel must not come back old.
  if (file.kernelWritesPending > 0) await file.kernelWritesSettled();
  if (file.fd === null) throw new Error(`cache: ${file.path ?? file.key} has no open descriptor`);
  const start = firstIndex * PAGE_SIZE;
  const got = await readIntoViews(file.fd, slabExtents(arena, pages), start);
  // Past EOF, and past a shrink not yet applied on disk, the file reads as zeros.
  const valid = Math.min(got, Math.max(0, Math.min(file.size, file.diskStaleFrom) - start));
  for (let k = Math.floor(valid / PAGE_SIZE); k < pages.length; k++) arena.view(pages[k]).fill(0, Math.max(0, valid - k * PAGE_SIZE));
}

/** Views over the pages' memory in file order, one per stretch of pages that follow each other in one slab. */
export function slabExtents(arena: PageArena, pages: readonly Page[]): Buffer[] {
  const views: Buffer[] = [];
  let k = 0;
  while (k < pages.length) {
    const head = pages[k];
    let n = 1;
    while (k + n < pages.length && arena.adjacent(pages[k + n - 1], pages[k + n])) n++;
    views.push(arena.view(head, n));
    k += n;
  }
  return views;
}

/**
 * Sequential read-ahead, in the background: while reads follow one another, keep the next
 * window of the file loading (or loaded) ahead of the furthest read, so the client's next
 * READs find their pages there. The window starts at twice the request (readaheadMinBytes at
 * least) and doubles per read up to readaheadMaxBytes and 1/READAHEAD_CACHE_SHARE of the cache.
 * It only takes pages that are free or evictable at once: it never waits for memory.
 */
export function maybeReadahead(ctx: CacheContext, file: CachedFile, offset: number, end: number): void {
  if (!followsStream(file, offset)) {
    file.lastReadEnd = end;
    file.readaheadWindow = 0;
    file.readaheadEnd = 0;
    return;
  }
  file.lastReadEnd = Math.max(file.lastReadEnd, end);
  file.readaheadWindow = nextWindow(ctx, file.readaheadWindow, end - offset);
  const from = Math.max(file.lastReadEnd, file.readaheadEnd);
  const to = Math.min(file.lastReadEnd + file.readaheadWindow, file.size);
  if (from >= to || file.fd === null) return;
  const stop = readaheadRange(ctx, file, Math.floor(from / PAGE_SIZE), Math.floor((to - 1) / PAGE_SIZE));
  // Where memory ran out, the next read tries again.
  file.readaheadEnd = Math.min(to, stop * PAGE_SIZE);
}

/**
 * A read continues the stream when it starts where the furthest read ended, or (once a window
 * is open) anywhere from one window behind that to the end of what was read ahead: the
 * client's outstanding READs may be served slightly out of order.
 */
function followsStream(file: CachedFile, offset: number): boolean {
  if (offset === file.lastReadEnd) return true;
  return file.readaheadWindow > 0 && offset >= file.lastReadEnd - file.readaheadWindow && offset <= Math.max(file.lastReadEnd, file.readaheadEnd);
}

function nextWindow(ctx: CacheContext, window: number, requested: number): number {
  const { readaheadMinBytes, readaheadMaxBytes } = ctx.tuning;
  const cacheShare = Math.floor(ctx.arena.maxPages / READAHEAD_CACHE_SHARE) * PAGE_SIZE;
  const max = Math.max(PAGE_SIZE, Math.min(readaheadMaxBytes, cacheShare));
  return Math.min(max, Math.max(readaheadMinBytes, window * 2, requested * 2));
}

/**
 * Start filling the uncached pages of [first, last] in the background, in fresh pages taken in
 * slab order (long fills, few iovecs). Returns the index where it stopped: last + 1, or the
 * first page it had no memory for.
 */
function readaheadRange(ctx: CacheContext, file: CachedFile, first: number, last: number): number {
  let missing = 0;
  for (let index = first; index <= last; index++) if (!file.index.has(index)) missing++;
  if (missing === 0) return last + 1;
  const fresh = ctx.arena.allocateInSlabOrder(missing);
  let taken = 0;
  let runStart = -1;
  let index = first;
  for (; index <= last; index++) {
    if (file.index.has(index)) {
      if (runStart >= 0) startReadahead(ctx, file, runStart, fresh.slice(taken - (index - runStart), taken));
      runStart = -1;
      continue;
    }
    if (taken === fresh.length) break;
    const page = fresh[taken++];
    ctx.arena.refcount[page]++; // the fill's pin
    ctx.arena.touch(page); // about to be read: a second chance against eviction
    file.index.insert(index, page);
    if (runStart < 0) runStart = index;
  }
  if (runStart >= 0) startReadahead(ctx, file, runStart, fresh.slice(taken - (index - runStart), taken));
  for (let k = taken; k < fresh.length; k++) ctx.arena.put(fresh[k]); // a cached page was evicted meanwhile
  return index;
}

function startReadahead(ctx: CacheContext, file: CachedFile, firstIndex: number, pages: Page[]): void {
  ctx.stats.readaheadPages += pages.length;
  const unpin = (): void => {
    for (const page of pages) ctx.arena.unref(page);
  };
  fillRun(ctx, file, firstIndex, pages, true).then(unpin, unpin);
}
