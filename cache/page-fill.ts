import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import type { Page } from './page.js';
import { PAGE_SIZE } from './page-flags.js';
import { readIntoViews } from './fd-io.js';

/** Attempts before pinRange() gives up and the caller falls back (pressure, or pages replaced meanwhile). */
const PIN_ATTEMPTS = 4;

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
  for (let index = first; index <= last; index++) if (!file.index.get(index)) missing++;
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
  let waits: Promise<void>[] | null = null;
  let runStart = -1;
  const runs: number[] = [];
  for (let index = first; index <= last; index++) {
    let page: Page | null | undefined = file.index.get(index);
    if (page) {
      stats.hits++;
      page.refcount++;
      arena.touch(page);
      if (page.loading) (waits ??= []).push(page.loading);
      if (runStart >= 0) runs.push(runStart, index - 1);
      runStart = -1;
    } else {
      page = fresh[taken++];
      if (!page) {
        abandon(ctx, file, pages, first, index, runs, runStart);
        return null;
      }
      stats.misses++;
      page.refcount++;
      file.index.insert(index, page);
      if (runStart < 0) runStart = index;
    }
    pages[index - first] = page;
  }
  if (runStart >= 0) runs.push(runStart, last);
  for (const unused of fresh.slice(taken)) arena.put(unused); // none unless eviction took a cached page meanwhile
  for (let r = 0; r < runs.length; r += 2) {
    const fill = fillRun(ctx, file, runs[r], pages.slice(runs[r] - first, runs[r + 1] - first + 1));
    (waits ??= []).push(fill);
  }
  if (waits) {
    try {
      await Promise.all(waits);
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
 * Fill consecutive fresh pages (already indexed and pinned) from disk with one readv
 * straight into page memory. Concurrent readers of these pages wait on `page.loading`.
 */
export function fillRun(ctx: CacheContext, file: CachedFile, firstIndex: number, pages: Page[]): Promise<void> {
  const fill = readRun(file, firstIndex, pages).then(
    () => {
      for (const page of pages) page.loading = null;
    },
    (err: unknown) => {
      for (const page of pages) {
        page.loading = null;
        if (page.owner === file.index) file.index.remove(page);
      }
      throw err;
    },
  );
  for (const page of pages) page.loading = fill;
  file.fills.add(fill);
  const forget = (): void => {
    file.fills.delete(fill);
  };
  fill.then(forget, forget);
  return fill;
}

async function readRun(file: CachedFile, firstIndex: number, pages: Page[]): Promise<void> {
  // A page dropped while its bytes were still queued for the kernel must not come back old.
  await file.kernelWritesSettled();
  if (file.fd === null) throw new Error(`cache: ${file.path ?? file.key} has no open descriptor`);
  const views = pages.map((page) => page.view);
  const start = firstIndex * PAGE_SIZE;
  const got = await readIntoViews(file.fd, views, start);
  // Past EOF, and past a shrink not yet applied on disk, the file reads as zeros.
  const valid = Math.min(got, Math.max(0, Math.min(file.size, file.diskStaleFrom) - start));
  for (let k = 0; k < views.length; k++) {
    const keep = valid - k * PAGE_SIZE;
    if (keep < PAGE_SIZE) views[k].fill(0, Math.max(0, keep));
  }
}

/**
 * Sequential read-ahead: when a read starts where the last one ended, fill the next
 * window in the background (doubling up to readaheadMaxBytes). Never waits for memory.
 */
export function maybeReadahead(ctx: CacheContext, file: CachedFile, offset: number, end: number): void {
  const sequential = offset === file.lastReadEnd;
  file.lastReadEnd = end;
  if (!sequential) {
    file.readaheadWindow = 0;
    file.readaheadEnd = 0;
    return;
  }
  const { readaheadMinBytes, readaheadMaxBytes } = ctx.tuning;
  file.readaheadWindow = Math.min(readaheadMaxBytes, Math.max(readaheadMinBytes, file.readaheadWindow * 2));
  const from = Math.max(end, file.readaheadEnd);
  const to = Math.min(end + file.readaheadWindow, file.size);
  if (from >= to || file.fd === null) return;
  file.readaheadEnd = to;
  readaheadRange(ctx, file, Math.floor(from / PAGE_SIZE), Math.floor((to - 1) / PAGE_SIZE));
}

function readaheadRange(ctx: CacheContext, file: CachedFile, first: number, last: number): void {
  let run: Page[] = [];
  let runStart = first;
  const flush = (): void => {
    if (run.length === 0) return;
    const pages = run;
    ctx.stats.readaheadPages += pages.length;
    fillRun(ctx, file, runStart, pages).then(
      () => pages.forEach((page) => ctx.arena.unref(page)),
      () => pages.forEach((page) => ctx.arena.unref(page)),
    );
    run = [];
  };
  for (let index = first; index <= last; index++) {
    if (file.index.get(index)) {
      flush();
      continue;
    }
    const page = ctx.arena.allocate();
    if (!page) break;
    page.refcount++;
    file.index.insert(index, page);
    if (run.length === 0) runStart = index;
    run.push(page);
  }
  flush();
}
