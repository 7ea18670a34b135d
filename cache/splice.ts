import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import type { Page } from './page.js';
import { COPY_TAGS, PAGE_SIZE, PageFlag, type CopyReason } from './page-flags.js';
import { HeapBvec, PageBvec, type Bvec, type SpliceResult } from './bvec.js';
import { maybeReadahead, pinRange } from './page-fill.js';
import { readAt } from './fd-io.js';
import { revalidate } from './coherence.js';

function emptyResult(): SpliceResult {
  return { bvecs: [], length: 0, copiedBytes: 0, reason: null };
}

/**
 * Gather [offset, offset + length) of `file` as page views. Zero-copy only when the
 * file is not mapped and no page in range is DIRTY, WRITEBACK or TOWRITE: then each
 * page is tagged SPLICED and referenced until release(). Otherwise the bytes are
 * copied into bounce pages from the same slabs and the reason is counted.
 */
export async function spliceToBvecs(
  ctx: CacheContext,
  file: CachedFile,
  offset: number,
  length: number,
  forceCopy: boolean,
): Promise<SpliceResult> {
  const check = revalidate(file);
  if (check) await check;
  const end = Math.min(offset + length, file.size);
  if (length <= 0 || offset >= end) return emptyResult();
  const first = Math.floor(offset / PAGE_SIZE);
  const last = Math.floor((end - 1) / PAGE_SIZE);
  const copy = forceCopy || ctx.tuning.forceCopy;
  if (allCached(file, first, last)) {
    ctx.stats.hits += last - first + 1;
    const pinned = pinCached(ctx, file, first, last);
    maybeReadahead(ctx, file, offset, end); // after pinning: read-ahead may evict
    return finish(ctx, file, pinned, first, offset, end, copy);
  }
  const pinning = pinRange(ctx, file, first, last);
  maybeReadahead(ctx, file, offset, end);
  const pages = await pinning;
  if (!pages) return pressureCopy(ctx, file, offset, end);
  const stop = Math.min(end, file.size); // a truncate may have raced with the fill
  if (stop <= offset) {
    for (const page of pages) ctx.arena.unref(page);
    return emptyResult();
  }
  return finish(ctx, file, pages, first, offset, stop, copy);
}

function allCached(file: CachedFile, first: number, last: number): boolean {
  for (let index = first; index <= last; index++) {
    const page = file.index.get(index);
    if (page === undefined || page.loading !== null) return false;
  }
  return true;
}

/** The hit path: every page is present, so pin them without yielding to other requests. */
function pinCached(ctx: CacheContext, file: CachedFile, first: number, last: number): Page[] {
  const pages: Page[] = new Array(last - first + 1);
  for (let k = 0; k < pages.length; k++) {
    const page = file.index.get(first + k)!;
    page.refcount++;
    page.referenced = true;
    pages[k] = page;
  }
  return pages;
}

/** Decide splice or copy for pinned, filled pages covering [offset, stop). */
function finish(ctx: CacheContext, file: CachedFile, pages: Page[], first: number, offset: number, stop: number, copy: boolean): SpliceResult {
  const last = Math.floor((stop - 1) / PAGE_SIZE);
  for (let k = last - first + 1; k < pages.length; k++) ctx.arena.unref(pages[k]);
  const reason = copy ? 'forced' : copyReason(file, first, last);
  if (reason === null) return splicePages(ctx, pages, first, offset, stop);
  return copyPages(ctx, pages, first, offset, stop, reason);
}

function copyReason(file: CachedFile, first: number, last: number): CopyReason | null {
  if (file.mapped > 0) return 'mapped';
  for (const [bit, reason] of COPY_TAGS) if (file.index.anyTagged(bit, first, last)) return reason;
  return null;
}

/** Append `take` bytes of `page` (from `inPage`) to the bvec list, extending the last bvec when contiguous. */
function pushPage(bvecs: PageBvec[], page: Page, inPage: number, take: number): void {
  const tail = bvecs.length > 0 ? bvecs[bvecs.length - 1] : null;
  if (tail !== null && inPage === 0 && tail.continuedBy(page) && (tail.offset + tail.length) % PAGE_SIZE === 0) {
    tail.pageCount++;
    tail.length += take;
  } else {
    bvecs.push(new PageBvec(page.slab, page.slabIndex, 1, inPage, take));
  }
}

/** The pins taken while filling become the bvecs' references. */
function splicePages(ctx: CacheContext, pages: Page[], first: number, offset: number, stop: number): SpliceResult {
  const count = Math.floor((stop - 1) / PAGE_SIZE) - first + 1;
  const bvecs: PageBvec[] = [];
  let position = offset;
  for (let k = 0; k < count; k++) {
    const page = pages[k];
    const inPage = position - (first + k) * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, stop - position);
    ctx.arena.setFlag(page, PageFlag.SPLICED);
    pushPage(bvecs, page, inPage, take);
    position += take;
  }
  const length = stop - offset;
  ctx.stats.zeroCopyBytes += length;
  return { bvecs, length, copiedBytes: 0, reason: null };
}

function copyPages(ctx: CacheContext, pages: Page[], first: number, offset: number, stop: number, reason: CopyReason): SpliceResult {
  const { arena } = ctx;
  const count = Math.floor((stop - 1) / PAGE_SIZE) - first + 1;
  const bvecs: Bvec[] = [];
  const bounced: PageBvec[] = [];
  let position = offset;
  let k = 0;
  for (; k < count; k++) {
    const bounce = arena.allocate();
    if (!bounce) break;
    bounce.bounce = true;
    ctx.stats.bounceOut++;
    const inPage = position - (first + k) * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, stop - position);
    pages[k].view.copy(bounce.view, 0, inPage, inPage + take);
    arena.unref(pages[k]);
    pushPage(bounced, bounce, 0, take);
    position += take;
  }
  bvecs.push(...bounced);
  if (k < count) {
    // No bounce page left: the rest goes into one heap buffer rather than failing the read.
    const rest = Buffer.allocUnsafe(stop - position);
    for (let at = 0; k < count; k++) {
      const inPage = position - (first + k) * PAGE_SIZE;
      const take = Math.min(PAGE_SIZE - inPage, stop - position);
      pages[k].view.copy(rest, at, inPage, inPage + take);
      arena.unref(pages[k]);
      at += take;
      position += take;
    }
    bvecs.push(new HeapBvec(rest));
  }
  const length = stop - offset;
  ctx.stats.copiedBytes[reason] += length;
  return { bvecs, length, copiedBytes: length, reason };
}

/**
 * Last resort when not even the pages of the request can be had: one heap buffer,
 * filled from cached pages where present (they may be dirty) and from disk elsewhere
 * (a page that is not cached has no unwritten data).
 */
async function pressureCopy(ctx: CacheContext, file: CachedFile, offset: number, end: number): Promise<SpliceResult> {
  const out = Buffer.alloc(end - offset);
  await file.kernelWritesSettled();
  let position = offset;
  while (position < end) {
    const index = Math.floor(position / PAGE_SIZE);
    const inPage = position - index * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, end - position);
    const page = file.index.get(index);
    if (page && page.loading === null) {
      page.view.copy(out, position - offset, inPage, inPage + take);
    } else if (file.fd !== null) {
      const limit = Math.min(file.diskStaleFrom, end);
      const want = Math.max(0, Math.min(take, limit - position));
      if (want > 0) await readAt(file.fd, out, position - offset, want, position);
    }
    position += take;
  }
  ctx.stats.copiedBytes.pressure += out.length;
  return { bvecs: [new HeapBvec(out)], length: out.length, copiedBytes: out.length, reason: 'pressure' };
}

/**
 * Drop the references of a splice result; calling it twice for the same bvecs is harmless.
 * Pages go back highest first, so the free stack hands them out again in ascending order.
 */
export function releaseBvecs(ctx: CacheContext, bvecs: readonly Bvec[]): void {
  for (let b = bvecs.length - 1; b >= 0; b--) {
    const bvec = bvecs[b];
    if (!(bvec instanceof PageBvec) || !bvec.held) continue;
    bvec.held = false;
    const pages = bvec.slab.pages;
    for (let k = bvec.firstPage + bvec.pageCount - 1; k >= bvec.firstPage; k--) {
      const page = pages[k];
      if (page.bounce) ctx.stats.bounceOut--;
      ctx.arena.unref(page);
    }
  }
}
