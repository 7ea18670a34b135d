import { closeSync, fstatSync, openSync } from 'node:fs';
import { CreateAction, CreateDisposition, CreateOption } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import { HostStats } from './host-fs.js';
import { closeQuietly, descriptorPath, errnoCode, hostFailure, type ShareRoot } from './share-root.js';

export interface CreateOutcome {
  action: number;
  stats: HostStats;
  /** The disposition overwrites an existing file: truncate it through the FileIo (page cache). */
  truncate: boolean;
  /** The opened file (O_PATH, or the descriptor O_CREAT returned); the caller reopens or closes it. */
  fd: number;
}

const OVERWRITING: number[] = [CreateDisposition.SUPERSEDE, CreateDisposition.OVERWRITE, CreateDisposition.OVERWRITE_IF];

/** Opening an existing name with the CREATE disposition etc., [MS-FSA] 2.1.5.1.2. */
function checkExisting(st: HostStats, disposition: number, options: number, readOnly: boolean): { action: number; truncate: boolean } {
  if (disposition === CreateDisposition.CREATE) throw new SmbStatusError(Status.OBJECT_NAME_COLLISION);
  if (st.isDirectory()) {
    if (options & CreateOption.NON_DIRECTORY_FILE) throw new SmbStatusError(Status.FILE_IS_A_DIRECTORY);
    if (OVERWRITING.includes(disposition)) throw new SmbStatusError(Status.INVALID_PARAMETER);
    return { action: CreateAction.OPENED, truncate: false };
  }
  if (!st.isFile()) throw new SmbStatusError(Status.ACCESS_DENIED, 'not a regular file or directory');
  if (options & CreateOption.DIRECTORY_FILE) throw new SmbStatusError(Status.NOT_A_DIRECTORY);
  if (!OVERWRITING.includes(disposition)) return { action: CreateAction.OPENED, truncate: false };
  if (readOnly) throw new SmbStatusError(Status.ACCESS_DENIED);
  return { action: disposition === CreateDisposition.SUPERSEDE ? CreateAction.SUPERSEDED : CreateAction.OVERWRITTEN, truncate: true };
}

/** The existing file at `parts` opened O_PATH (symlinks inside the share followed), or null if there is none. */
async function openExistingPath(root: ShareRoot, parts: readonly string[]): Promise<number | null> {
  const c = root.fs.constants;
  try {
    return await root.open(parts, c.O_PATH);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw hostFailure(err, true);
  }
}

/** ENOENT on the leaf: OBJECT_PATH_NOT_FOUND when already its parent is missing. */
async function missingStatus(root: ShareRoot, parts: readonly string[]): Promise<number> {
  const c = root.fs.constants;
  const parent = await root.open(parts.slice(0, -1), c.O_PATH | c.O_DIRECTORY).catch(() => null);
  if (parent === null) return Status.OBJECT_PATH_NOT_FOUND;
  await closeQuietly(parent);
  return Status.OBJECT_NAME_NOT_FOUND;
}

/** mkdirat in the parent, then the new directory itself (not a symlink swapped in since). */
async function createDirectory(root: ShareRoot, parts: readonly string[]): Promise<number> {
  const c = root.fs.constants;
  await root.inParent(parts, (dirfd, leaf) => root.fs.mkdirat(dirfd, leaf, 0o777));
  return root.open(parts, c.O_PATH | c.O_DIRECTORY | c.O_NOFOLLOW);
}

/** The new file or directory, or null when the name appeared meanwhile (the caller opens it instead). */
async function createNew(root: ShareRoot, parts: readonly string[], disposition: number, options: number, readOnly: boolean): Promise<number | null> {
  if (disposition === CreateDisposition.OPEN || disposition === CreateDisposition.OVERWRITE) {
    throw new SmbStatusError(await missingStatus(root, parts));
  }
  if (readOnly) throw new SmbStatusError(Status.ACCESS_DENIED);
  const c = root.fs.constants;
  try {
    if (!(options & CreateOption.DIRECTORY_FILE)) return await root.open(parts, c.O_CREAT | c.O_EXCL | c.O_RDWR, 0o644);
    if (disposition !== CreateDisposition.CREATE && disposition !== CreateDisposition.OPEN_IF) {
      throw new SmbStatusError(Status.INVALID_PARAMETER);
    }
    return await createDirectory(root, parts);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return null;
    throw hostFailure(err, true);
  }
}

/**
 * statx of a descriptor we hold (O_PATH ones too), in place: it reads the inode the descriptor
 * already pins, with no path walk, so it costs less than a thread-pool round trip.
 */
export function statHeld(fd: number): HostStats {
  const st = fstatSync(fd, { bigint: true });
  return new HostStats({
    dev: st.dev, ino: st.ino, mode: st.mode, nlink: st.nlink, uid: st.uid, gid: st.gid, size: st.size,
    atimeNs: st.atimeNs, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, birthtimeNs: st.birthtimeNs,
  });
}

function statOrClose(fd: number): HostStats {
  try {
    return statHeld(fd);
  } catch (err) {
    void closeQuietly(fd);
    throw hostFailure(err);
  }
}

/** Tries: a name that keeps appearing and vanishing (or a dangling symlink) ends in ACCESS_DENIED. */
const CREATE_ATTEMPTS = 3;

/**
 * Carry out a CREATE disposition beneath the share root, [MS-SMB2] 3.3.5.9 and [MS-FSA] 2.1.5.1.
 * The outcome holds a descriptor of the very file the checks were made on.
 */
export async function openOrCreate(root: ShareRoot, parts: readonly string[], disposition: number, options: number, readOnly: boolean): Promise<CreateOutcome> {
  if (disposition > CreateDisposition.OVERWRITE_IF) throw new SmbStatusError(Status.INVALID_PARAMETER);
  if ((options & CreateOption.DIRECTORY_FILE) && (options & CreateOption.NON_DIRECTORY_FILE)) {
    throw new SmbStatusError(Status.INVALID_PARAMETER);
  }
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const existing = await openExistingPath(root, parts);
    if (existing !== null) {
      try {
        const stats = statHeld(existing);
        return { ...checkExisting(stats, disposition, options, readOnly), stats, fd: existing };
      } catch (err) {
        void closeQuietly(existing);
        throw hostFailure(err);
      }
    }
    const created = await createNew(root, parts, disposition, options, readOnly);
    if (created !== null) return { action: CreateAction.CREATED, stats: statOrClose(created), truncate: false, fd: created };
  }
  throw new SmbStatusError(Status.ACCESS_DENIED, 'dangling symlink or a name that keeps changing');
}

/**
 * Reopening a descriptor we hold through /proc/self/fd walks no share path: the file is already
 * resolved, and the checks made before this (a regular file or a directory, never a FIFO or a
 * device) leave an open that does not wait. On a local file system it costs a few microseconds,
 * far less than a thread-pool round trip (a wake-up there and one back), so it runs in place.
 */
/** A second descriptor of `fd`'s file, opened now (synchronously) through its /proc/self/fd link. */
export function reopen(fd: number, flags: number): number {
  return openSync(descriptorPath(fd), flags);
}

/**
 * A second descriptor of the handle's file for the FileIo provider, which owns it: read-write or
 * read-only like the handle, never O_PATH (a file we may not read fails here, not at READ).
 */
export function openForData(root: ShareRoot, handleFd: number, writable: boolean): number {
  const c = root.fs.constants;
  return reopen(handleFd, writable ? c.O_RDWR : c.O_RDONLY);
}

/**
 * The descriptor an open handle keeps: the file reopened through its O_PATH descriptor with
 * the access it needs (read, or read-write), so metadata calls (fchmod, futimes) work on it.
 * A file or directory we may not read is kept as O_PATH unless writing was asked for.
 * Throws an SmbStatusError.
 */
export function reopenForHandle(root: ShareRoot, outcome: CreateOutcome, writable: boolean): number {
  const c = root.fs.constants;
  const flags = outcome.stats.isDirectory() ? c.O_RDONLY | c.O_DIRECTORY : writable ? c.O_RDWR : c.O_RDONLY;
  try {
    return reopen(outcome.fd, flags);
  } catch (err) {
    if (writable || (errnoCode(err) !== 'EACCES' && errnoCode(err) !== 'EPERM')) throw hostFailure(err);
  }
  try {
    return reopen(outcome.fd, c.O_PATH | (outcome.stats.isDirectory() ? c.O_DIRECTORY : 0));
  } catch (err) {
    throw hostFailure(err);
  }
}

/**
 * Close a descriptor we hold without the event loop waiting for its release: in place when the
 * release does nothing (`releaseIsFree`: an O_PATH descriptor, a directory's), else on the
 * thread pool, not waited for (the number is ours until the close runs). A regular file's release
 * may write the file back (ext4 auto_da_alloc after a truncation to zero or a replacing rename, at
 * the first close of any descriptor, read-only ones too; XFS after a truncation; NFS on every
 * close), and the last close of a removed file frees its pages. Measured in place: 0.32 s of
 * event loop after a 1 GiB overwrite on ext4.
 */
export function closeHeld(fd: number, releaseIsFree: boolean): void {
  if (releaseIsFree) closeInPlace(fd);
  else void closeQuietly(fd);
}

/**
 * CREATE's checked descriptor, once the handle's own is open: an existing file's is O_PATH, a
 * directory's releases nothing; a file CREATE made is held by its O_CREAT descriptor.
 */
export function closeChecked(outcome: CreateOutcome): void {
  closeHeld(outcome.fd, outcome.action !== CreateAction.CREATED || outcome.stats.isDirectory());
}

/**
 * Close a descriptor in place instead of on the thread pool, for a close that is only a table
 * update: an O_PATH descriptor or a directory's. Never a regular file's open descriptor (closeHeld).
 */
export function closeInPlace(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // EBADF/EINTR: the descriptor is gone either way.
  }
}
