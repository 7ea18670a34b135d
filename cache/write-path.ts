import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import type { Page } from './page.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { fillRun } from './page-fill.js';
import { ftruncateAsync, writeAll } from './fd-io.js';
import { refreshSeen } from './writeback.js';

/**
 * Stable pages: replace a SPLICED page in the index with a fresh copy so the bytes
 * handed out never change. The old page lives on until its last bvec is released.
 * Null when no page can be had (the caller then takes the page out of the index instead).
 */
export function copyOnWrite(ctx: CacheContext, file: CachedFile, old: Page): Page | null {
  const fresh = ctx.arena.allocate();
  if (!fresh) return null;
  old.view.copy(fresh.view);
  const index = old.index;
  const carried = old.flags & (PageFlag.DIRTY | PageFlag.TOWRITE);
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

/** The indexed page at `index`, made safe to modify in place (COW if spliced); null if it had to be dropped. */
function modifiablePage(ctx: CacheContext, file: CachedFile, page: Page): Page | null {
  if (!(page.flags & PageFlag.SPLICED)) return page;
  const fresh = copyOnWrite(ctx, file, page);
  if (fresh) return fresh;
  file.index.remove(page);
  return null;
}

/** Bytes of the last page past `size` must read as zeros once the file grows again. */
export function zeroTail(ctx: CacheContext, file: CachedFile, size: number): void {
  const inPage = size % PAGE_SIZE;
  if (inPage === 0) return;
  const page = file.index.get(Math.floor(size / PAGE_SIZE));
  if (!page || page.loading) return;
  const target = modifiablePage(ctx, file, page);
  target?.view.fill(0, inPage);
}

export async function writeData(ctx: CacheContext, file: CachedFile, offset: number, data: Buffer): Promise<number> {
  if (data.length === 0) return 0;
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
    if (!(await writePage(ctx, file, index, inPage, data.subarray(done, done + take), sizeBefore))) {
      // No page to be had: the rest of this write goes to disk in one piece.
      await writeThrough(ctx, file, position, data.subarray(done));
      break;
    }
    done += take;
  }
  return data.length;
}

/** Store `chunk` into the cached page at `index`; false when no page can be had (memory pressure). */
async function writePage(ctx: CacheContext, file: CachedFile, index: number, inPage: number, chunk: Buffer, sizeBefore: number): Promise<boolean> {
  for (;;) {
    const cached = file.index.get(index);
    if (cached?.loading) {
      await cached.loading.catch(() => undefined);
      continue;
    }
    if (cached) {
      const page = modifiablePage(ctx, file, cached);
      if (!page) return false;
      storeDirty(ctx, page, inPage, chunk);
      return true;
    }
    const page = await allocateForWrite(ctx);
    if (!page) return false;
    if (file.index.get(index)) {
      ctx.arena.put(page); // another writer or reader got there first
      continue;
    }
    const pageStart = index * PAGE_SIZE;
    const existing = Math.max(0, Math.min(PAGE_SIZE, sizeBefore - pageStart));
    if (existing === 0 || (inPage === 0 && chunk.length >= existing)) {
      // Nothing of the old page survives: build it complete before anyone can see it.
      page.view.fill(0);
      file.index.insert(index, page);
      storeDirty(ctx, page, inPage, chunk);
      return true;
    }
    await fillForWrite(ctx, file, index, page);
  }
}

function storeDirty(ctx: CacheContext, page: Page, inPage: number, chunk: Buffer): void {
  chunk.copy(page.view, inPage);
  ctx.arena.setFlag(page, PageFlag.DIRTY);
  ctx.arena.touch(page);
}

/** A partial write to an uncached page: read the page first (read-modify-write). */
async function fillForWrite(ctx: CacheContext, file: CachedFile, index: number, page: Page): Promise<void> {
  page.refcount++;
  file.index.insert(index, page);
  ctx.stats.misses++;
  try {
    await fillRun(ctx, file, index, [page]);
  } finally {
    ctx.arena.unref(page);
  }
}

async function allocateForWrite(ctx: CacheContext): Promise<Page | null> {
  const page = ctx.arena.allocate();
  if (page) return page;
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
  await file.serialized(async () => {
    const fd = await file.ensureFd();
    await writeAll(fd, data, position);
    file.diskSize = Math.max(file.diskSize, position + data.length);
    await refreshSeen(file, fd);
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
    if (!cached) return;
    if (cached.loading) {
      await cached.loading.catch(() => undefined);
      continue;
    }
    const target = modifiablePage(ctx, file, cached);
    if (!target) return;
    target.view.set(bytes, inPage);
    // A dirty copy (or one being written back) was filled before our bytes reached disk: write it again.
    if (target.flags & (PageFlag.DIRTY | PageFlag.WRITEBACK)) ctx.arena.setFlag(target, PageFlag.DIRTY);
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
    file.index.trim(firstGone);
    zeroTail(ctx, file, size);
    file.diskStaleFrom = Math.min(file.diskStaleFrom, size);
  } else if (size > file.size) {
    zeroTail(ctx, file, file.size);
    file.size = size;
  }
  file.pendingTruncates++;
  try {
    await file.serialized(async () => {
      const fd = await file.ensureFd();
      await ftruncateAsync(fd, size);
      file.diskSize = size;
      await refreshSeen(file, fd);
    });
  } finally {
    if (--file.pendingTruncates === 0) file.diskStaleFrom = Infinity;
  }
}
