import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import { NO_PAGE, type Page } from './page.js';
import type { PageArena } from './page-arena.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { fdatasyncAsync, ftruncateAsync, writeAll } from './fd-io.js';
import { ownIoNow } from './coherence.js';
import { dirtyRanges, markDirty, restoreDirtyBytes, takeDirtyBytes, type DirtyBytes } from './dirty-bytes.js';

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
      ctx.arena.setFlag(file.index.get(index), PageFlag.TOWRITE);
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
    for (const page of mapping.pages) if (file.index.holds(page)) markDirty(ctx.arena, page);
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
      if (page === NO_PAGE || !(ctx.arena.flags[page] & bit)) break; // truncated or already written meanwhile
      pages.push(page);
    }
    if (pages.length > 0) await writeRun(ctx, file, fd, indexes[at], pages);
    at += Math.max(pages.length, 1);
  }
}

/**
 * Positional writes of the dirty bytes of consecutive pages: only what the client wrote,
 * never the rest of a page (it may be stale). The bytes are snapshotted first, so a write
 * landing during the I/O simply re-dirties the page instead of tearing what goes to disk.
 */
async function writeRun(ctx: CacheContext, file: CachedFile, fd: number, firstIndex: number, pages: Page[]): Promise<void> {
  const { arena } = ctx;
  const taken = pages.map((page) => takeDirtyBytes(arena, page));
  for (const page of pages) {
    arena.refcount[page]++;
    arena.clearFlag(page, PageFlag.DIRTY);
    arena.clearFlag(page, PageFlag.TOWRITE);
    arena.setFlag(page, PageFlag.WRITEBACK);
  }
  try {
    const ranges = fileRanges(firstIndex, taken, file.size);
    if (ranges.length === 0) return;
    const snapshots = ranges.map(([start, end]) => snapshot(arena, pages, firstIndex, start, end));
    await ctx.tuning.beforeWritebackIo?.();
    for (let k = 0; k < ranges.length; k++) {
      await writeAll(fd, snapshots[k], ranges[k][0]);
      ctx.stats.writebackBytes += snapshots[k].length;
    }
    file.diskSize = Math.max(file.diskSize, ranges[ranges.length - 1][1]);
  } catch (err) {
    pages.forEach((page, k) => {
      if (!file.index.holds(page)) return;
      restoreDirtyBytes(arena, page, taken[k]);
      arena.setFlag(page, PageFlag.DIRTY);
    });
    throw err;
  } finally {
    for (const page of pages) {
      arena.clearFlag(page, PageFlag.WRITEBACK);
      arena.unref(page);
    }
  }
}

/** Dirty byte ranges of consecutive pages as file offsets, clipped to the size, joined across page edges. */
function fileRanges(firstIndex: number, taken: DirtyBytes[], size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  taken.forEach((bits, k) => {
    const base = (firstIndex + k) * PAGE_SIZE;
    for (const [from, to] of dirtyRanges(bits)) {
      const start = base + from;
      const end = Math.min(base + to, size);
      if (start >= end) continue;
      const last = out[out.length - 1];
      if (last && last[1] === start) last[1] = end;
      else out.push([start, end]);
    }
  });
  return out;
}

function snapshot(arena: PageArena, pages: Page[], firstIndex: number, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  for (let at = start; at < end; ) {
    const index = Math.floor(at / PAGE_SIZE);
    const inPage = at - index * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, end - at);
    const page = pages[index - firstIndex];
    const from = arena.slabOffset(page) + inPage;
    arena.memory(page).copy(out, at - start, from, from + take);
    at += take;
  }
  return out;
}
