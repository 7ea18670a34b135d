import type { CachedFile } from './cached-file.js';

/** Read-ahead reads of one file in flight at once. */
export const LANES_PER_FILE = 2;
/**
 * Read-ahead reads in flight in the whole process. libuv's threadpool (UV_THREADPOOL_SIZE, 4 by
 * default) serves every fs call of the process: read-ahead leaves at least one thread to READ
 * misses, opens and writes.
 */
export const LANES_TOTAL = 3;

interface Waiting {
  readonly file: CachedFile;
  readonly start: () => void;
}

/** Read-ahead reads waiting for a lane, in the order they were queued. */
const waiting: Waiting[] = [];
let running = 0;

/** Read-ahead reads in flight in the process (for tests). */
export function readaheadReadsInFlight(): number {
  return running;
}

/**
 * Run `read` once its file has fewer than LANES_PER_FILE and the process fewer than LANES_TOTAL
 * read-ahead reads in flight; the waiting start first come, first served (a file's reads in file
 * order). Each lane needs the event loop between two reads.
 */
export function inReadaheadLane(file: CachedFile, read: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = (): void => {
      running++;
      file.readaheadRunning++;
      read()
        .then(resolve, reject)
        .finally(() => {
          running--;
          file.readaheadRunning--;
          startWaiting();
        });
    };
    // A file's reads start in the order they were queued; another file's may pass them.
    if (mayStart(file) && !waiting.some((w) => w.file === file)) start();
    else waiting.push({ file, start });
  });
}

function mayStart(file: CachedFile): boolean {
  return running < LANES_TOTAL && file.readaheadRunning < LANES_PER_FILE;
}

function startWaiting(): void {
  for (let k = 0; k < waiting.length && running < LANES_TOTAL; ) {
    if (mayStart(waiting[k].file)) waiting.splice(k, 1)[0].start();
    else k++;
  }
}
