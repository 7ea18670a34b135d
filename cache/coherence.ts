import { performance } from 'node:perf_hooks';
import type { CachedFile, DiskIdentity } from './cached-file.js';
import { PageFlag } from './page-flags.js';
import { fstatAsync } from './fd-io.js';

/** How often the read path compares a file with the disk: changes made beside the server show within this. */
const REVALIDATE_MS = 250;

function identityOf(stats: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint }): DiskIdentity {
  return { size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino };
}

function sameIdentity(a: DiskIdentity | null, b: DiskIdentity): boolean {
  return a !== null && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/** Drop the clean pages (they may hold bytes the disk no longer has); pages of ours not yet written stay. */
export function dropCleanPages(file: CachedFile): void {
  const keep = PageFlag.DIRTY | PageFlag.WRITEBACK | PageFlag.TOWRITE;
  if (file.mappings.size === 0) {
    file.index.removeUntagged(keep);
  }
  file.lastReadEnd = -1;
  file.readaheadEnd = 0;
}

/** Someone else changed the file: forget the cached bytes and take the disk's size unless ours is pending. */
function adoptDiskState(file: CachedFile, identity: DiskIdentity): void {
  dropCleanPages(file);
  if (!file.hasOwnPending() || file.seen === null) file.size = Number(identity.size);
  file.diskSize = Number(identity.size);
  file.seen = identity;
  file.validatedAt = performance.now();
}

/**
 * Run one of our own I/O jobs, already inside file.serialized(). A change made beside us is
 * looked for first: afterwards our own change to size, mtime and ctime would hide it.
 */
export async function ownIoNow<T>(file: CachedFile, job: (fd: number) => Promise<T>): Promise<T> {
  const fd = await file.ensureFd();
  const before = identityOf(await fstatAsync(fd));
  const changedBeside = file.seen !== null && !sameIdentity(file.seen, before);
  const result = await job(fd);
  settleOwnIo(file, changedBeside, identityOf(await fstatAsync(fd)));
  return result;
}

export function ownIo<T>(file: CachedFile, job: (fd: number) => Promise<T>): Promise<T> {
  return file.serialized(() => ownIoNow(file, job));
}

/**
 * ownIo for a job that takes the two fstat calls itself, in the same thread-pool job as its I/O
 * (the addon's writeRunsStat): `before` is compared with what we saw last, `after` is kept.
 */
export function ownStattedIo(file: CachedFile, job: (fd: number) => Promise<{ before: DiskIdentity; after: DiskIdentity }>): Promise<void> {
  return file.serialized(async () => {
    const fd = await file.ensureFd();
    const { before, after } = await job(fd);
    settleOwnIo(file, file.seen !== null && !sameIdentity(file.seen, before), after);
  });
}

/** After our own I/O: adopt the disk's state if someone else had changed the file first, else remember ours. */
function settleOwnIo(file: CachedFile, changedBeside: boolean, after: DiskIdentity): void {
  if (changedBeside) adoptDiskState(file, after);
  else file.seen = after;
  file.validatedAt = performance.now();
}

/**
 * Compare the file with the disk when the last look is older than REVALIDATE_MS; null when
 * it is recent, or when our own I/O is under way (it looks itself, and a read should not
 * wait behind a long writeback). Runs in order with our own I/O, so only someone else's
 * change can differ.
 */
export function revalidate(file: CachedFile): Promise<void> | null {
  if (file.fd === null || file.ioJobs > 0 || performance.now() - file.validatedAt < REVALIDATE_MS) return null;
  return revalidateNow(file).catch(() => undefined); // a failed look changes nothing; the next one tries again
}

/**
 * On open, with the fstat of the descriptor just taken (synchronously, so that nothing of ours
 * ran in between): compared at once when none of our own I/O is queued or under way, since the
 * disk then holds all we did; otherwise in order with it (revalidateNow). Saves the open two
 * thread-pool round trips.
 */
export function revalidateOnOpen(file: CachedFile, stats: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint }): Promise<void> | null {
  if (file.ioJobs > 0 || file.fd === null) return revalidateNow(file);
  file.validatedAt = performance.now();
  compareWithDisk(file, identityOf(stats));
  return null;
}

/** What a look at the disk found, against what we saw last: someone else's change drops the clean pages. */
function compareWithDisk(file: CachedFile, now: DiskIdentity): void {
  if (!sameIdentity(file.seen, now)) adoptDiskState(file, now);
}

/** Compare the file with the disk now (on open), in order with our own I/O; a closed descriptor is not reopened for it. */
export function revalidateNow(file: CachedFile): Promise<void> {
  file.validatedAt = performance.now();
  return file.serialized(async () => {
    if (file.fd === null) return;
    compareWithDisk(file, identityOf(await fstatAsync(file.fd)));
  });
}
