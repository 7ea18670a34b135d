import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import { NO_PAGE, type Page } from './page.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { fillRun } from './page-fill.js';
import { fdatasyncAsync, ftruncateAsync, writeAll } from './fd-io.js';
import { ownIo } from './coherence.js';
import { queueKernelPages, queueKernelWrite } from './kernel-writes.js';
import { copyDirtyBytes, markDirty } from './dirty-bytes.js';

/** Kernel writes of one client WRITE: one per page it stored, or per run of whole pages (write-behind leaves it empty). */
export type KernelWrites = Promise<void>[];

/**
 * Stable pages: replace a SPLICED page in the index with a fresh copy so the bytes
 * handed out never change. The old page lives on until its last bvec is released.
 * Null when no page can be had (the caller then takes the page out of the index instead).
 */
export function copyOnWrite(ctx: CacheContext, file: CachedFile, old: Page): Page {
  const { arena } = ctx;
  const fresh = arena.allocate();
  if (fresh === NO_PAGE) return NO_PAGE;
  arena.memory(old).copy(arena.memory(fresh), arena.slabOffset(fresh), arena.slabOffset(old), arena.slabOffset(old) + PAGE_SIZE);
  copyDirtyBytes(arena, old, fresh);
  const index = arena.indexOf(old);
  const carried = arena.flags[old] & (PageFlag.DIRTY | PageFlag.TOWRITE);
  file.index.detach(old);
  file.index.insert(index, fresh);
  for (const bit of [PageFlag.DIRTY, PageFlag.TOWRITE]) {
    if (carried & bit) {
      ctx.arena.clearFlag(old, bit);
      ctx.arena.setFlag(fresh, bit);
    }
  }
  ctx.arena.put(old);
  ctx.stats.cowReplacements++;
  return fresh;
}

/** The indexed page at `index`, made safe to modify in place (COW if spliced); NO_PAGE if it had to be dropped. */
function modifiablePage(ctx: CacheContext, file: CachedFile, page: Page): Page {
  if (!(ctx.arena.flags[page] & PageFlag.SPLICED)) return page;
  const fresh = copyOnWrite(ctx, file, page);
  if (fresh !== NO_PAGE) return fresh;
  file.index.remove(page);
  return NO_PAGE;
}

/** Bytes of the last page past `size` must read as zeros once the file grows again. */
export function zeroTail(ctx: CacheContext, file: CachedFile, size: number): void {
  const inPage = size % PAGE_SIZE;
  if (inPage === 0) return;
  const page = file.index.get(Math.floor(size / PAGE_SIZE));
  if (page === NO_PAGE || ctx.arena.isLoading(page)) return;
  const target = modifiablePage(ctx, file, page);
  if (target !== NO_PAGE) ctx.arena.view(target).fill(0, inPage);
}

/**
 * Store a client WRITE in the cache. By default it resolves once the bytes have been handed
 * to the kernel from the pages themselves (a dead server process loses nothing acknowledged);
 * with `writeThrough` fdatasync follows. In write-behind mode the pages are only tagged DIRTY.
 */
export async function writeData(ctx: CacheContext, file: CachedFile, offset: number, data: Buffer, writeThrough = false): Promise<number> {
  await acknowledgedWrite(ctx, file, offset + data.length, writeThrough, (kernelWrites) => storeData(ctx, file, offset, data, kernelWrites));
  return data.length;
}

/**
 * Run `stores` (which queue kernel writes into the list it gets) and resolve once every kernel
 * write settled: the acknowledgement rule of a client WRITE ending at `end`. A refused write
 * undoes the growth; `writeThrough` adds fdatasync.
 */
export async function acknowledgedWrite(
  ctx: CacheContext, file: CachedFile, end: number, writeThrough: boolean, stores: (kernelWrites: KernelWrites) => Promise<void>,
): Promise<void> {
  const kernelWrites: KernelWrites = [];
  const sizeBefore = file.size;
  try {
    try {
      await stores(kernelWrites);
    } finally {
      await Promise.allSettled(kernelWrites);
    }
    await Promise.all(kernelWrites);
  } catch (err) {
    undoFailedGrowth(file, sizeBefore, end);
    throw err;
  }
  if (writeThrough) await syncData(ctx, file);
}

/** A write or extension the disk refused (EFBIG, ENOSPC) must not leave the file looking larger. */
function undoFailedGrowth(file: CachedFile, sizeBefore: number, grownTo: number): void {
  if (file.size === grownTo && file.diskSize < grownTo) file.size = Math.max(sizeBefore, file.diskSize);
}

/** fdatasync after every write of the file issued so far. */
function syncData(ctx: CacheContext, file: CachedFile): Promise<void> {
  return file.serialized(async () => {
    await fdatasyncAsync(await file.ensureFd());
    ctx.stats.fdatasyncs++;
  });
}

export async function storeData(ctx: CacheContext, file: CachedFile, offset: number, data: Buffer, kernelWrites: KernelWrites): Promise<void> {
  if (data.length === 0) return;
  const sizeBefore = file.size;
  const end = offset + data.length;
  if (end > file.size) {
    zeroTail(ctx, file, file.size);
    file.size = end;
  }
  let done = 0;
  while (done < data.length) {
    const position = offset + done;
    const index = Math.floor(position / PAGE_SIZE);
    const inPage = position - index * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, data.length - done);
    const target: PageWrite = { index, inPage, position, chunk: data.subarray(done, done + take) };
    if (!(await writePage(ctx, file, target, sizeBefore, kernelWrites))) {
      // No page to be had: the rest of this write goes to disk in one piece.
      await writeThrough(ctx, file, position, data.subarray(done));
      return;
    }
    done += take;
  }
}

/** The part of one WRITE that falls into one page. */
interface PageWrite {
  index: number;
  inPage: number;
  position: number;
  chunk: Buffer;
}

/** Store the chunk into the cached page; false when no page can be had (memory pressure). */
async function writePage(ctx: CacheContext, file: CachedFile, target: PageWrite, sizeBefore: number, kernelWrites: KernelWrites): Promise<boolean> {
  const { index, inPage } = target;
  for (;;) {
    const cached = file.index.get(index);
    const loading = cached === NO_PAGE ? null : ctx.arena.loading(cached);
    if (loading) {
      await loading.catch(() => undefined);
      continue;
    }
    if (cached !== NO_PAGE) {
      const page = modifiablePage(ctx, file, cached);
      if (page === NO_PAGE) return false;
      store(ctx, file, page, target, kernelWrites);
      return true;
    }
    const page = await allocateForWrite(ctx);
    if (page === NO_PAGE) return false;
    if (file.index.has(index)) {
      ctx.arena.put(page); // another writer or reader got there first
      continue;
    }
    const pageStart = index * PAGE_SIZE;
    const existing = Math.max(0, Math.min(PAGE_SIZE, sizeBefore - pageStart));
    if (existing === 0 || (inPage === 0 && target.chunk.length >= existing)) {
      // Nothing of the old page survives: build it complete before anyone can see it. Only the
      // bytes the chunk does not cover are zeroed (a whole-page chunk zeroes nothing).
      const chunkEnd = inPage + target.chunk.length;
      const memory = ctx.arena.memory(page);
      const start = ctx.arena.slabOffset(page);
      if (inPage > 0) memory.fill(0, start, start + inPage);
      if (chunkEnd < PAGE_SIZE) memory.fill(0, start + chunkEnd, start + PAGE_SIZE);
      file.index.insert(index, page);
      store(ctx, file, page, target, kernelWrites);
      return true;
    }
    await fillForWrite(ctx, file, index, page);
  }
}

/** Copy the chunk into the page and publish it (publishStored). */
function store(ctx: CacheContext, file: CachedFile, page: Page, target: PageWrite, kernelWrites: KernelWrites): void {
  const { inPage, chunk } = target;
  chunk.copy(ctx.arena.memory(page), ctx.arena.slabOffset(page) + inPage);
  publishStored(ctx, file, page, inPage, chunk.length, target.position, kernelWrites);
}

/**
 * Bytes [inPage, inPage + length) of `page` (at file offset `position`) now hold a client
 * WRITE: write-behind tags them DIRTY; otherwise they are queued for the kernel in this same
 * step, so writes reach the kernel in the order they were stored, and the page is pinned
 * before anything else can run.
 */
export function publishStored(ctx: CacheContext, file: CachedFile, page: Page, inPage: number, length: number, position: number, kernelWrites: KernelWrites): void {
  ctx.arena.touch(page);
  if (ctx.tuning.writeBehind) markDirty(ctx.arena, page, inPage, inPage + length);
  else {
    const start = ctx.arena.slabOffset(page) + inPage;
    awaitKernel(kernelWrites, queueKernelWrite(ctx, file, page, position, ctx.arena.memory(page).subarray(start, start + length)));
  }
}

/**
 * publishStored for a run of whole pages stored in one synchronous step, following one another
 * in the file from `position`, `views` their bytes in file order: one kernel write (and promise)
 * for the run.
 */
export function publishPages(ctx: CacheContext, file: CachedFile, position: number, pages: Page[], views: Buffer[], kernelWrites: KernelWrites): void {
  for (const page of pages) ctx.arena.touch(page);
  if (ctx.tuning.writeBehind) for (const page of pages) markDirty(ctx.arena, page);
  else awaitKernel(kernelWrites, queueKernelPages(ctx, file, position, pages, views));
}

function awaitKernel(kernelWrites: KernelWrites, written: Promise<void>): void {
  // The caller awaits it; until then a refusal (EFBIG at a far offset) must not be an
  // unhandled rejection, which would end the whole server process.
  written.catch(() => undefined);
  kernelWrites.push(written);
}

/** A partial write to an uncached page: read the page first (read-modify-write). */
async function fillForWrite(ctx: CacheContext, file: CachedFile, index: number, page: Page): Promise<void> {
  ctx.arena.refcount[page]++;
  file.index.insert(index, page);
  ctx.stats.misses++;
  try {
    await fillRun(ctx, file, index, [page]);
  } finally {
    ctx.arena.unref(page);
  }
}

async function allocateForWrite(ctx: CacheContext): Promise<Page> {
  const page = ctx.arena.allocate();
  if (page !== NO_PAGE) return page;
  ctx.requestWriteback();
  await ctx.arena.waitForFree(ctx.tuning.pressureWaitMs);
  return ctx.arena.allocate();
}

/**
 * Under memory pressure the write goes straight to disk. A copy of the page that a
 * concurrent read or write brought in meanwhile may hold the old bytes, so it is patched too.
 */
async function writeThrough(ctx: CacheContext, file: CachedFile, position: number, chunk: Buffer): Promise<void> {
  const data = Buffer.from(chunk); // the caller's buffer may be reused once we return
  await ownIo(file, async (fd) => {
    await writeAll(fd, data, position);
    file.diskSize = Math.max(file.diskSize, position + data.length);
  });
  ctx.stats.writeThroughBytes += data.length;
  const end = position + data.length;
  for (let index = Math.floor(position / PAGE_SIZE); index * PAGE_SIZE < end; index++) {
    const from = Math.max(position, index * PAGE_SIZE);
    const to = Math.min(end, (index + 1) * PAGE_SIZE);
    await patchCached(ctx, file, index, from - index * PAGE_SIZE, data.subarray(from - position, to - position));
  }
}

async function patchCached(ctx: CacheContext, file: CachedFile, index: number, inPage: number, bytes: Buffer): Promise<void> {
  for (;;) {
    const cached = file.index.get(index);
    if (cached === NO_PAGE) return;
    const loading = ctx.arena.loading(cached);
    if (loading) {
      await loading.catch(() => undefined);
      continue;
    }
    const target = modifiablePage(ctx, file, cached);
    if (target === NO_PAGE) return;
    ctx.arena.memory(target).set(bytes, ctx.arena.slabOffset(target) + inPage);
    // A dirty copy (or one being written back) was filled before our bytes reached disk: write it again.
    if (ctx.arena.flags[target] & (PageFlag.DIRTY | PageFlag.WRITEBACK)) markDirty(ctx.arena, target, inPage, inPage + bytes.length);
    return;
  }
}

/** Truncate or extend; pages past the new end are dropped and the disk file follows at once. */
export async function setFileSize(ctx: CacheContext, file: CachedFile, size: number): Promise<void> {
  if (size < file.size) {
    file.size = size;
    const firstGone = Math.ceil(size / PAGE_SIZE);
    for (const page of file.index.pagesFrom(firstGone)) {
      ctx.arena.clearFlag(page, PageFlag.DIRTY);
      ctx.arena.clearFlag(page, PageFlag.TOWRITE);
      file.index.remove(page);
    }
    zeroTail(ctx, file, size);
    file.diskStaleFrom = Math.min(file.diskStaleFrom, size);
  }
  const sizeBefore = file.size;
  if (size > file.size) {
    zeroTail(ctx, file, file.size);
    file.size = size;
  }
  file.pendingTruncates++;
  try {
    await ownIo(file, async (fd) => {
      await ftruncateAsync(fd, size);
      file.diskSize = size;
    });
  } catch (err) {
    undoFailedGrowth(file, sizeBefore, size);
    throw err;
  } finally {
    if (--file.pendingTruncates === 0) file.diskStaleFrom = Infinity;
  }
}
