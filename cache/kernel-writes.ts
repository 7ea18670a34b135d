import type { CacheContext, WriteRunsStat } from './context.js';
import type { CachedFile, QueuedWrite } from './cached-file.js';
import type { Page } from './page.js';
import { PAGE_SIZE } from './page-flags.js';
import { ownIo, ownStattedIo } from './coherence.js';
import { writevAll } from './fd-io.js';

/** Most views in one writev (IOV_MAX on Linux). */
const MAX_IOVECS = 1024;

/**
 * Hand `view`, the bytes of a client WRITE just stored in `page`, to the kernel. Writes of a
 * file go out in the order they were stored, so the last store to a byte is the last write
 * of it. Only the client's own range is written: never whole pages that may be stale.
 */
export function queueKernelWrite(ctx: CacheContext, file: CachedFile, page: Page, position: number, view: Buffer): Promise<void> {
  return queue(ctx, file, position, [view], view.length, [page]);
}

/**
 * queueKernelWrite for a run of whole pages stored in one synchronous step, following one another
 * in the file from `position`: one queued write and one promise for the run. `views` are the
 * pages' bytes in file order (one per stretch of pages that neighbour each other in their slab,
 * as the caller already has them), so a large WRITE costs no object per page.
 */
export function queueKernelPages(ctx: CacheContext, file: CachedFile, position: number, pages: Page[], views: Buffer[]): Promise<void> {
  if (pages.length === 0) return Promise.resolve();
  return queue(ctx, file, position, views, pages.length * PAGE_SIZE, pages);
}

function queue(ctx: CacheContext, file: CachedFile, position: number, views: Buffer[], length: number, pages: Page[]): Promise<void> {
  return new Promise((resolve, reject) => {
    for (const page of pages) ctx.arena.refcount[page]++;
    // One object shape for every queued write (a spread into a literal made a new map each time).
    file.kernelQueue.push({ position, views, length, pages, done: (err) => (err === undefined ? resolve() : reject(err)) });
    file.kernelWritesPending++;
    scheduleDrain(ctx, file);
  });
}

function scheduleDrain(ctx: CacheContext, file: CachedFile): void {
  if (file.kernelDrainScheduled) return;
  file.kernelDrainScheduled = true;
  let started = false;
  const { writeRunsStat } = ctx;
  const drained = writeRunsStat
    ? ownStattedIo(file, (fd) => {
        started = true;
        return drainInOneJob(ctx, file, fd, writeRunsStat);
      })
    : ownIo(file, (fd) => {
        started = true;
        return drain(ctx, file, fd);
      });
  drained.catch((err: unknown) => {
    if (!started) finish(ctx, file, file.kernelQueue.splice(0), err);
  });
}

/**
 * The batch's runs, in order, and the fstat calls of coherence.ts around them, in one thread-pool
 * job (the addon's writeRunsStat): one round trip per batch instead of one per run plus two.
 */
async function drainInOneJob(ctx: CacheContext, file: CachedFile, fd: number, writeRunsStat: WriteRunsStat) {
  file.kernelDrainScheduled = false;
  const batch = file.kernelQueue.splice(0);
  const runs = contiguousRuns(batch);
  let failure: unknown;
  try {
    return await writeRunsStat(fd, runs.map((run) => run[0].position), runs.map(runViews));
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // Runs before a failure were written: the disk may hold any of them (too large a diskSize only reads holes).
    for (const run of runs) file.diskSize = Math.max(file.diskSize, runEnd(run));
    finish(ctx, file, batch, failure);
  }
}

function runEnd(run: QueuedWrite[]): number {
  const last = run[run.length - 1];
  return last.position + last.length;
}

/** A run's bytes as few views as memory allows (neighbouring views joined). */
function runViews(run: QueuedWrite[]): Buffer[] {
  return run.length === 1 ? run[0].views : joinAdjacent(run.flatMap((item) => item.views));
}

async function drain(ctx: CacheContext, file: CachedFile, fd: number): Promise<void> {
  file.kernelDrainScheduled = false;
  const batch = file.kernelQueue.splice(0);
  let failure: unknown;
  try {
    const runs = contiguousRuns(batch);
    const write = async (run: QueuedWrite[]): Promise<void> => {
      await writevAll(fd, runViews(run), run[0].position);
      file.diskSize = Math.max(file.diskSize, runEnd(run));
    };
    if (disjoint(runs)) await settleAll(runs.map(write));
    else for (const run of runs) await write(run);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    finish(ctx, file, batch, failure);
  }
}

/** Settle a batch. After a failure its pages leave the index: they hold bytes the disk may not have. */
function finish(ctx: CacheContext, file: CachedFile, batch: QueuedWrite[], failure: unknown): void {
  if (batch.length === 0) return;
  for (const item of batch) {
    for (const page of item.pages) {
      if (failure !== undefined && file.index.holds(page)) file.index.remove(page);
      ctx.arena.unref(page);
    }
    item.done(failure);
  }
  file.kernelWritesPending -= batch.length;
  if (file.kernelWritesPending === 0) for (const wake of file.kernelIdleWaiters.splice(0)) wake();
}

/**
 * Runs that share no byte may go to the kernel at once (a large WRITE is several runs): the order
 * of writes matters only where they overlap.
 */
function disjoint(runs: QueuedWrite[][]): boolean {
  const spans = runs.map((run) => [run[0].position, runEnd(run)]).sort((a, b) => a[0] - b[0]);
  for (let k = 1; k < spans.length; k++) if (spans[k][0] < spans[k - 1][1]) return false;
  return true;
}

/** Wait for every write, then fail with the first failure, if any (none is left running behind a failure). */
async function settleAll(writes: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(writes);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/**
 * Views that follow one another in memory as one view (fresh pages are handed out in slab
 * order): the kernel copies a few large segments rather than one per page.
 */
export function joinAdjacent(views: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let first = 0;
  let length = 0;
  const close = (end: number): void => {
    if (end - first === 1) out.push(views[first]);
    else if (end > first) out.push(Buffer.from(views[first].buffer, views[first].byteOffset, length));
  };
  for (let k = 0; k < views.length; k++) {
    const start = views[first];
    if (k > first && views[k].buffer === start.buffer && start.byteOffset + length === views[k].byteOffset) {
      length += views[k].length;
      continue;
    }
    close(k);
    first = k;
    length = views[k].length;
  }
  close(views.length);
  return out;
}

/** Queued writes that follow one another on disk, merged into single writev calls (the addon and fd-io split past IOV_MAX views). */
function contiguousRuns(batch: QueuedWrite[]): QueuedWrite[][] {
  const runs: QueuedWrite[][] = [];
  let views = 0;
  for (const item of batch) {
    const run = runs[runs.length - 1];
    const tail = run?.[run.length - 1];
    if (tail && views + item.views.length <= MAX_IOVECS && tail.position + tail.length === item.position) {
      run.push(item);
      views += item.views.length;
    } else {
      runs.push([item]);
      views = item.views.length;
    }
  }
  return runs;
}
