import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import { NO_PAGE, type Page } from './page.js';
import type { PageArena } from './page-arena.js';
import { COPY_TAGS, PAGE_SIZE, PageFlag, type CopyReason } from './page-flags.js';
import { HeapBvec, PageBvec, type Bvec, type SpliceResult } from './bvec.js';
import { maybeReadahead, pinRange } from './page-fill.js';
import { readAt } from './fd-io.js';
import { revalidate } from './coherence.js';

/** Any tag that makes a page be copied (COPY_TAGS). */
const COPY_MASK = COPY_TAGS.reduce((mask, [bit]) => mask | bit, 0);

function emptyResult(): SpliceResult {
  return { bvecs: [], length: 0, copiedBytes: 0, copiedByReason: {}, reason: null };
}

/**
 * Gather [offset, offset + length) of `file` as page views, deciding page by page: a page
 * that no mapping holds and that is not DIRTY, WRITEBACK or TOWRITE is tagged SPLICED and
 * referenced until release() (zero-copy); any other page's bytes are copied into a bounce
 * page from the same slabs (the heap only when none is left) and counted by reason.
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
  const cached = pinIfAllCached(ctx, file, first, last);
  if (cached) {
    ctx.stats.hits += cached.length;
    maybeReadahead(ctx, file, offset, end); // after pinning: read-ahead may evict
    return finish(ctx, file, cached, first, offset, end, copy);
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

/**
 * The hit path: when every page is present and filled, pin them all in one pass without
 * yielding to other requests; null (nothing pinned) as soon as one is missing or loading.
 */
function pinIfAllCached(ctx: CacheContext, file: CachedFile, first: number, last: number): Page[] | null {
  const { arena } = ctx;
  const refcount = arena.refcount;
  const pages: Page[] = new Array(last - first + 1);
  for (let k = 0; k < pages.length; k++) {
    const page = file.index.get(first + k);
    if (page === NO_PAGE || arena.isLoading(page)) {
      for (let j = 0; j < k; j++) refcount[pages[j]]--; // back to what they were: nothing else ran meanwhile
      return null;
    }
    refcount[page]++;
    pages[k] = page;
  }
  for (const page of pages) arena.touch(page);
  return pages;
}

/** Decide splice or copy page by page for pinned, filled pages covering [offset, stop). */
function finish(ctx: CacheContext, file: CachedFile, pages: Page[], first: number, offset: number, stop: number, copy: boolean): SpliceResult {
  const last = Math.floor((stop - 1) / PAGE_SIZE);
  for (let k = last - first + 1; k < pages.length; k++) ctx.arena.unref(pages[k]);
  const mapped = mappedRanges(file, first, last);
  const out = new SpliceOutput();
  let position = offset;
  for (let k = 0; k <= last - first; k++) {
    const page = pages[k];
    const inPage = position - (first + k) * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, stop - position);
    const reason = copy ? 'forced' : pageCopyReason(ctx.arena.flags[page], first + k, mapped);
    if (reason === null) splicePage(ctx, out, page, inPage, take);
    else copyPage(ctx, out, page, inPage, take, reason);
    position += take;
  }
  return out.result(stop - offset);
}

/** Index ranges [from, to] held by live mappings that meet [first, last]: a consumer may store into those pages at any time. */
function mappedRanges(file: CachedFile, first: number, last: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  if (file.mapped === 0) return ranges;
  for (const mapping of file.mappings) {
    const to = mapping.firstIndex + mapping.pages.length - 1;
    if (mapping.firstIndex <= last && to >= first) ranges.push([mapping.firstIndex, to]);
  }
  return ranges;
}

/** Why this page must be copied (its bytes may still change), or null when it can be handed out as it is. */
function pageCopyReason(flags: number, index: number, mapped: ReadonlyArray<[number, number]>): CopyReason | null {
  if (mapped.length === 0 && (flags & COPY_MASK) === 0) return null;
  for (const [from, to] of mapped) if (index >= from && index <= to) return 'mapped';
  for (const [bit, reason] of COPY_TAGS) if (flags & bit) return reason;
  return null;
}

/** The bvecs of one splice as they are built, with the bytes counted by path and reason. */
class SpliceOutput {
  readonly bvecs: Bvec[] = [];
  readonly copiedByReason: Partial<Record<CopyReason, number>> = {};
  copiedBytes = 0;
  firstReason: CopyReason | null = null;

  /** Append `take` bytes of `page` (from `inPage`), extending the last bvec when contiguous in the slab. */
  pushPage(arena: PageArena, page: Page, inPage: number, take: number): void {
    const tail = this.bvecs.length > 0 ? this.bvecs[this.bvecs.length - 1] : null;
    if (tail instanceof PageBvec && inPage === 0 && tail.continuedBy(page) && (tail.offset + tail.length) % PAGE_SIZE === 0) {
      tail.pageCount++;
      tail.length += take;
    } else {
      this.bvecs.push(new PageBvec(arena.slabOf(page), page, 1, inPage, take));
    }
  }

  copied(reason: CopyReason, bytes: number): void {
    this.copiedByReason[reason] = (this.copiedByReason[reason] ?? 0) + bytes;
    this.copiedBytes += bytes;
    this.firstReason ??= reason;
  }

  result(length: number): SpliceResult {
    return { bvecs: this.bvecs, length, copiedBytes: this.copiedBytes, copiedByReason: this.copiedByReason, reason: this.firstReason };
  }
}

/** Zero-copy: the fill's pin becomes the bvec's reference, and SPLICED makes writers copy-on-write. */
function splicePage(ctx: CacheContext, out: SpliceOutput, page: Page, inPage: number, take: number): void {
  ctx.arena.setFlag(page, PageFlag.SPLICED);
  out.pushPage(ctx.arena, page, inPage, take);
  ctx.stats.zeroCopyBytes += take;
}

/**
 * Copy one page's bytes into a bounce page from the slabs (registered memory, so SMB Direct
 * still writes it without another copy), or, when no page is left, into the heap.
 */
function copyPage(ctx: CacheContext, out: SpliceOutput, page: Page, inPage: number, take: number, reason: CopyReason): void {
  const { arena } = ctx;
  const from = arena.slabOffset(page) + inPage;
  const bounce = arena.allocate();
  if (bounce !== NO_PAGE) {
    arena.markBounce(bounce);
    ctx.stats.bounceOut++;
    arena.memory(page).copy(arena.memory(bounce), arena.slabOffset(bounce), from, from + take);
    out.pushPage(arena, bounce, 0, take);
  } else {
    out.bvecs.push(new HeapBvec(Buffer.from(arena.memory(page).subarray(from, from + take))));
  }
  ctx.arena.unref(page);
  ctx.stats.copiedBytes[reason] += take;
  out.copied(reason, take);
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
    if (page !== NO_PAGE && !ctx.arena.isLoading(page)) {
      const from = ctx.arena.slabOffset(page) + inPage;
      ctx.arena.memory(page).copy(out, position - offset, from, from + take);
    } else if (file.fd !== null) {
      const limit = Math.min(file.diskStaleFrom, end);
      const want = Math.max(0, Math.min(take, limit - position));
      if (want > 0) await readAt(file.fd, out, position - offset, want, position);
    }
    position += take;
  }
  ctx.stats.copiedBytes.pressure += out.length;
  return { bvecs: [new HeapBvec(out)], length: out.length, copiedBytes: out.length, copiedByReason: { pressure: out.length }, reason: 'pressure' };
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
    for (let page = bvec.page + bvec.pageCount - 1; page >= bvec.page; page--) {
      if (ctx.arena.isBounce(page)) ctx.stats.bounceOut--;
      ctx.arena.unref(page);
    }
  }
}
