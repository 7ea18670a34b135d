import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import type { Page } from './page.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { fdatasyncAsync, ftruncateAsync, writeAll } from './fd-io.js';
import { ownIoNow } from './coherence.js';

/** Largest single write issued by writeback (consecutive dirty pages are merged up to this). */
const MAX_RUN_PAGES = 256;

/**
 * Write the file's dirty pages to disk. With `sync` (FLUSH, shutdown) every page dirty
 * at the time of the call is first tagged TOWRITE, and fdatasync follows, so once the
 * promise resolves the data is on disk. Jobs of one file run one after another.
 */
export function writeback(ctx: CacheContext, file: CachedFile, sync: boolean): Promise<void> {
  redirtyMappings(ctx, file);
  if (sync) {
    for (const index of file.index.taggedIndexes(PageFlag.DIRTY)) {
      ctx.arena.setFlag(file.index.get(index)!, PageFlag.TOWRITE);
    }
  }
  const bit = sync ? PageFlag.TOWRITE : PageFlag.DIRTY;
  return file.serialized(async () => {
    if (file.index.count(bit) === 0 && file.diskSize === file.size) {
      if (sync) await syncOnly(ctx, file);
      return;
    }
    await ownIoNow(file, async (fd) => {
      await writeTagged(ctx, file, fd, bit);
      if (file.diskSize !== file.size) {
        await ftruncateAsync(fd, file.size);
        file.diskSize = file.size;
      }
      if (sync) await fdatasyncAsync(fd);
    });
    if (sync) ctx.stats.fdatasyncs++;
  });
}

/** Nothing to write: FLUSH still makes what earlier writes handed to the kernel durable. */
async function syncOnly(ctx: CacheContext, file: CachedFile): Promise<void> {
  await fdatasyncAsync(await file.ensureFd());
  ctx.stats.fdatasyncs++;
}

/** A writable mapping may have changed its pages at any time: treat them as dirty. */
function redirtyMappings(ctx: CacheContext, file: CachedFile): void {
  for (const mapping of file.mappings) {
    if (!mapping.writable) continue;
    for (const page of mapping.pages) if (page.owner === file.index) ctx.arena.setFlag(page, PageFlag.DIRTY);
  }
}

async function writeTagged(ctx: CacheContext, file: CachedFile, fd: number, bit: number): Promise<void> {
  const indexes = file.index.taggedIndexes(bit);
  let at = 0;
  while (at < indexes.length) {
    let stop = at + 1;
    while (stop < indexes.length && stop - at < MAX_RUN_PAGES && indexes[stop] === indexes[stop - 1] + 1) stop++;
    const pages: Page[] = [];
    for (let k = at; k < stop; k++) {
      const page = file.index.get(indexes[k]);
      if (!page || !(page.flags & bit)) break; // truncated or already written meanwhile
      pages.push(page);
    }
    if (pages.length > 0) await writeRun(ctx, file, fd, indexes[at], pages);
    at += Math.max(pages.length, 1);
  }
}

/**
 * One positional write of consecutive pages. The bytes are snapshotted first, so a write
 * landing during the I/O simply re-dirties the page instead of tearing what goes to disk.
 */
async function writeRun(ctx: CacheContext, file: CachedFile, fd: number, firstIndex: number, pages: Page[]): Promise<void> {
  const { arena } = ctx;
  const start = firstIndex * PAGE_SIZE;
  const length = Math.min(pages.length * PAGE_SIZE, file.size - start);
  for (const page of pages) {
    page.refcount++;
    arena.clearFlag(page, PageFlag.DIRTY);
    arena.clearFlag(page, PageFlag.TOWRITE);
    arena.setFlag(page, PageFlag.WRITEBACK);
  }
  try {
    if (length <= 0) return;
    const snapshot = Buffer.allocUnsafe(length);
    for (let k = 0; k * PAGE_SIZE < length; k++) pages[k].view.copy(snapshot, k * PAGE_SIZE, 0, Math.min(PAGE_SIZE, length - k * PAGE_SIZE));
    await ctx.tuning.beforeWritebackIo?.();
    await writeAll(fd, snapshot, start);
    file.diskSize = Math.max(file.diskSize, start + length);
    ctx.stats.writebackBytes += length;
  } catch (err) {
    for (const page of pages) if (page.owner === file.index) arena.setFlag(page, PageFlag.DIRTY);
    throw err;
  } finally {
    for (const page of pages) {
      arena.clearFlag(page, PageFlag.WRITEBACK);
      arena.unref(page);
    }
  }
}
