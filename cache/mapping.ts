import type { CacheContext } from './context.js';
import type { CachedFile, Mapping, MappingState } from './cached-file.js';
import { NO_PAGE, type Page } from './page.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { pinRange } from './page-fill.js';
import { copyOnWrite } from './write-path.js';
import { markDirty } from './dirty-bytes.js';

/** map() could not pin its pages: every page is referenced, dirty or under writeback. */
export class CachePressureError extends Error {
  readonly code = 'ECACHEPRESSURE';
}

/** How long map() keeps retrying under memory pressure before it gives up. */
const MAP_PRESSURE_ATTEMPTS = 20;

/**
 * Hand a local consumer writable views of [offset, offset + length) (clipped to the
 * file size), like mmap: raises the file's mapped count, so reads of the file copy
 * from now on, and replaces pages that are still spliced, so the consumer's stores
 * never reach bytes already handed out.
 */
export async function mapRange(ctx: CacheContext, file: CachedFile, offset: number, length: number, writable: boolean): Promise<Mapping> {
  file.mapped++;
  try {
    const end = Math.min(offset + length, file.size);
    const first = Math.floor(offset / PAGE_SIZE);
    const pages = end > offset ? await pinForMap(ctx, file, first, Math.floor((end - 1) / PAGE_SIZE)) : [];
    const state = buildMapping(ctx, file, pages, first, offset, Math.max(0, end - offset), writable);
    file.addMapping(state);
    return state;
  } catch (err) {
    file.mapped--;
    throw err;
  }
}

async function pinForMap(ctx: CacheContext, file: CachedFile, first: number, last: number): Promise<Page[]> {
  for (let attempt = 0; attempt < MAP_PRESSURE_ATTEMPTS; attempt++) {
    const pages = await pinRange(ctx, file, first, last);
    if (pages && replaceSpliced(ctx, file, pages)) return pages;
    await ctx.arena.waitForFree(ctx.tuning.pressureWaitMs);
  }
  throw new CachePressureError(`cache: cannot map ${file.path ?? file.key}: no free pages`);
}

/** COW every spliced page in place in `pages`, moving our pin to the copy; false (all unpinned) if memory ran out. */
function replaceSpliced(ctx: CacheContext, file: CachedFile, pages: Page[]): boolean {
  for (let k = 0; k < pages.length; k++) {
    const page = pages[k];
    if (!(ctx.arena.flags[page] & PageFlag.SPLICED)) continue;
    const fresh = copyOnWrite(ctx, file, page);
    if (fresh === NO_PAGE) {
      for (const held of pages) ctx.arena.unref(held);
      return false;
    }
    ctx.arena.refcount[fresh]++;
    ctx.arena.unref(page);
    pages[k] = fresh;
  }
  return true;
}

function buildMapping(ctx: CacheContext, file: CachedFile, pages: Page[], first: number, offset: number, length: number, writable: boolean): MappingState {
  const views: Buffer[] = [];
  let position = offset;
  for (let k = 0; k < pages.length; k++) {
    const inPage = position - (first + k) * PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, offset + length - position);
    views.push(ctx.arena.view(pages[k]).subarray(inPage, inPage + take));
    if (writable) markDirty(ctx.arena, pages[k]);
    position += take;
  }
  const state: MappingState = {
    file,
    firstIndex: first,
    pages,
    offset,
    length,
    views,
    writable,
    active: true,
    unmap: () => unmapRange(ctx, state),
  };
  return state;
}

export function unmapRange(ctx: CacheContext, state: MappingState): void {
  if (!state.active) return;
  state.active = false;
  for (const page of state.pages) {
    if (state.writable && state.file.index.holds(page)) markDirty(ctx.arena, page);
    ctx.arena.unref(page);
  }
  state.file.deleteMapping(state);
  state.file.mapped--;
}
