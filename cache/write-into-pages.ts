// A client WRITE whose bytes arrive by RDMA READ (SMB Direct, [MS-SMB2] 3.3.5.13 with an RDMA
// channel): every page the range covers entirely is a fresh page from the registered slabs that
// the device fills, and replaces the indexed page only once its bytes are there. An old page
// still spliced is only detached (its bvecs keep it, unchanged: stable pages); the partial
// first and last pages, and any page when none is free, arrive in heap Buffers and take the
// ordinary store path.
import type { ChunkRegion, FillTargets as Fill, WriteFromResult } from '../server/file-io.js';
import type { CacheContext } from './context.js';
import type { CachedFile } from './cached-file.js';
import { NO_PAGE, type Page } from './page.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import { acknowledgedWrite, publishPages, storeData, zeroTail, type KernelWrites } from './write-path.js';

/**
 * One target and where it goes: `pages` are the fresh pages behind a region target, neighbours
 * in the file and in their slab (one view and one region for all of them); none for a heap piece.
 */
interface Piece {
  bytes: Buffer;
  region: ChunkRegion | null;
  position: number;
  pages: Page[];
}

/**
 * Resolves like writeData (bytes in the kernel, or DIRTY in write-behind mode; `writeThrough`
 * adds fdatasync). If `fill` rejects, the fresh pages go back and the file is as it was.
 */
export async function writeIntoPages(ctx: CacheContext, file: CachedFile, offset: number, length: number, fill: Fill, writeThrough: boolean): Promise<WriteFromResult> {
  const pieces = planPieces(ctx, offset, length);
  let direct: number;
  try {
    direct = await fill(pieces.map(({ bytes, region }) => ({ bytes, region })));
  } catch (err) {
    for (const piece of pieces) for (const page of piece.pages) ctx.arena.put(page);
    throw err;
  }
  let installedBytes = 0;
  let next = 0;
  try {
    await acknowledgedWrite(ctx, file, offset + length, writeThrough, async (kernelWrites) => {
      while (next < pieces.length) {
        const run = pageRun(pieces, next);
        if (run.length === 0) await storeData(ctx, file, pieces[next].position, pieces[next].bytes, kernelWrites);
        else installedBytes += await installRun(ctx, file, run, kernelWrites);
        next += Math.max(run.length, 1);
      }
    });
  } finally {
    // A store that failed midway leaves later fresh pages unused: they go back.
    for (const piece of pieces.slice(next)) for (const page of piece.pages) ctx.arena.put(page);
  }
  return { count: length, placedBytes: Math.min(direct, installedBytes) };
}

/**
 * Fresh pages for the whole pages of the range, heap Buffers for the rest; neighbouring heap
 * pieces share one Buffer, and neighbouring fresh pages of one slab one piece. A page that cannot
 * be had at once (memory pressure) is a heap piece.
 */
function planPieces(ctx: CacheContext, offset: number, length: number): Piece[] {
  const { arena } = ctx;
  const pieces: Piece[] = [];
  const end = offset + length;
  const firstWhole = Math.ceil(offset / PAGE_SIZE) * PAGE_SIZE;
  const fresh = arena.allocateInSlabOrder(Math.max(0, Math.floor(end / PAGE_SIZE) - firstWhole / PAGE_SIZE));
  let heapFrom = -1;
  const flushHeap = (to: number): void => {
    if (heapFrom >= 0 && to > heapFrom) pieces.push({ bytes: Buffer.allocUnsafe(to - heapFrom), region: null, position: heapFrom, pages: [] });
    heapFrom = -1;
  };
  let taken = 0;
  for (let position = offset; position < end; ) {
    const pageEnd = (Math.floor(position / PAGE_SIZE) + 1) * PAGE_SIZE;
    const whole = position % PAGE_SIZE === 0 && pageEnd <= end;
    const page = whole && taken < fresh.length ? fresh[taken++] : NO_PAGE;
    if (page !== NO_PAGE) {
      flushHeap(position);
      const last = pieces[pieces.length - 1];
      if (last?.region && last.position + last.pages.length * PAGE_SIZE === position && arena.adjacent(last.pages[last.pages.length - 1], page)) last.pages.push(page);
      else pieces.push({ bytes: EMPTY, region: { slabId: arena.slabId(page), offset: arena.slabOffset(page) }, position, pages: [page] });
    } else if (heapFrom < 0) heapFrom = position;
    position = Math.min(pageEnd, end);
  }
  flushHeap(end);
  for (const piece of pieces) if (piece.region) piece.bytes = arena.view(piece.pages[0], piece.pages.length);
  return pieces;
}

const EMPTY = Buffer.alloc(0);

/** The fresh-page pieces from `at` on that follow one another in the file (none when `at` is a heap piece). */
function pageRun(pieces: Piece[], at: number): Piece[] {
  let stop = at;
  while (stop < pieces.length && pieces[stop].region !== null && (stop === at || pieces[stop].position === pieces[stop - 1].position + pieces[stop - 1].bytes.length)) stop++;
  return pieces.slice(at, stop);
}

/**
 * Put a run of filled fresh pages in the index in one synchronous step, once no page of the
 * range is being read from disk; returns the bytes installed. A file someone has mapped keeps
 * its pages (the mapping's stores must land on the indexed page): the bytes are copied in.
 */
async function installRun(ctx: CacheContext, file: CachedFile, run: Piece[], kernelWrites: KernelWrites): Promise<number> {
  // The last check and the install run in one synchronous step.
  for (let loading = loadingIn(ctx, file, run); loading; loading = loadingIn(ctx, file, run)) await loading.catch(() => undefined);
  if (file.mapped > 0) {
    await copyRun(ctx, file, run, kernelWrites);
    return 0;
  }
  const last = run[run.length - 1];
  const runEnd = last.position + last.bytes.length;
  if (runEnd > file.size) zeroTail(ctx, file, file.size);
  const pages = run.length === 1 ? run[0].pages : run.flatMap((piece) => piece.pages);
  const firstIndex = run[0].position / PAGE_SIZE;
  for (let k = 0; k < pages.length; k++) replacePage(ctx, file, firstIndex + k, pages[k]);
  if (runEnd > file.size) file.size = runEnd;
  publishPages(ctx, file, run[0].position, pages, run.map((piece) => piece.bytes), kernelWrites);
  return pages.length * PAGE_SIZE;
}

/** Store the run's bytes into the indexed pages (a copy), then give the fresh pages back (the caller does if it throws). */
async function copyRun(ctx: CacheContext, file: CachedFile, run: Piece[], kernelWrites: KernelWrites): Promise<void> {
  for (const piece of run) await storeData(ctx, file, piece.position, piece.bytes, kernelWrites);
  for (const piece of run) for (const page of piece.pages) ctx.arena.put(page);
}

/** A fill in progress at one of the run's indexes (it must not land on a page we replaced), if any. */
function loadingIn(ctx: CacheContext, file: CachedFile, run: Piece[]): Promise<void> | undefined {
  if (file.fills.size === 0) return undefined; // nothing of this file is being read from disk
  for (const piece of run) {
    for (let k = 0; k < piece.pages.length; k++) {
      const page = file.index.get(piece.position / PAGE_SIZE + k);
      const loading = page === NO_PAGE ? null : ctx.arena.loading(page);
      if (loading) return loading;
    }
  }
  return undefined;
}

/**
 * `fresh` takes the slot of whatever page is indexed at its place. The old page's dirty bytes
 * are superseded (the whole page is overwritten); if it is spliced it lives on, unchanged,
 * until its last bvec is released.
 */
function replacePage(ctx: CacheContext, file: CachedFile, index: number, fresh: Page): void {
  const old = file.index.get(index);
  if (old !== NO_PAGE) {
    ctx.arena.clearFlag(old, PageFlag.DIRTY);
    ctx.arena.clearFlag(old, PageFlag.TOWRITE);
    ctx.arena.setDirtyBytes(old, null);
    file.index.remove(old);
  }
  file.index.insert(index, fresh);
}
