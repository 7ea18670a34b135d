// Loads the spliced_fs addon: the *at file system calls (openat2, mkdirat, unlinkat,
// renameat2, statx, getdents64) that Node's fs lacks. It needs no RDMA libraries and the
// server refuses to serve without it (there is no path-based fallback).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addonCandidates } from './addon-path.js';

/** A statx result; every field a bigint, times in nanoseconds since the epoch. */
export interface FsStatRecord {
  dev: bigint;
  ino: bigint;
  mode: bigint;
  nlink: bigint;
  uid: bigint;
  gid: bigint;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** 0 when the file system does not report a birth time. */
  birthtimeNs: bigint;
}

/**
 * One batch of readDirectoryAt. `records` holds one 96-byte little-endian record per entry,
 * laid out as server/host-fs.ts DIR_RECORD says (src/fs/dir-read.cc PackedEntry); `names` the names' raw bytes.
 */
export interface FsDirBatch {
  records: Buffer;
  names: Buffer;
  /** getdents64 reached the end of the directory. */
  end: boolean;
}

/** What writeRunsStat reports of a descriptor's file (fstat), times in nanoseconds since the epoch. */
export interface FsFdIdentity {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

/** Numeric constants of this host's ABI, as the addon was compiled against them. */
export interface FsConstants {
  O_PATH: number;
  O_DIRECTORY: number;
  O_NOFOLLOW: number;
  O_CREAT: number;
  O_EXCL: number;
  O_RDONLY: number;
  O_RDWR: number;
  O_NONBLOCK: number;
  O_NOCTTY: number;
  RESOLVE_NO_XDEV: number;
  RESOLVE_NO_MAGICLINKS: number;
  RESOLVE_NO_SYMLINKS: number;
  RESOLVE_BENEATH: number;
  RESOLVE_IN_ROOT: number;
  AT_REMOVEDIR: number;
  AT_SYMLINK_NOFOLLOW: number;
  AT_EMPTY_PATH: number;
  RENAME_NOREPLACE: number;
  DT_DIR: number;
  DT_LNK: number;
  DT_REG: number;
  RLIMIT_MEMLOCK: number;
}

/** One inotify(7) event as the Inotify class reports it. */
export interface FsInotifyEvent {
  wd: number;
  mask: number;
  cookie: number;
  /** The entry's name as raw bytes; empty for an event on the watched directory itself. */
  name: Buffer;
}

/** inotify(7) mask bits, as the addon was compiled against them. */
export interface FsInotifyConstants {
  IN_MODIFY: number;
  IN_ATTRIB: number;
  IN_MOVED_FROM: number;
  IN_MOVED_TO: number;
  IN_CREATE: number;
  IN_DELETE: number;
  IN_DELETE_SELF: number;
  IN_MOVE_SELF: number;
  IN_Q_OVERFLOW: number;
  IN_IGNORED: number;
  IN_ISDIR: number;
  IN_EXCL_UNLINK: number;
  IN_MASK_ADD: number;
}

/**
 * One inotify instance (src/fs/inotify.cc). Its events reach `onEvents` in batches (at most a
 * few 64 KiB reads per event-loop turn); it does not keep the process alive.
 */
export interface FsInotify {
  /**
   * Watch the directory `relative` beneath `dirfd` ('' = `dirfd` itself), synchronously:
   * openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, then inotify_add_watch (IN_ONLYDIR) on
   * its /proc/self/fd link. Returns the watch descriptor (the same one for the same directory);
   * throws an errno Error (ENOSPC past the kernel's max_user_watches).
   */
  addWatch(dirfd: number, relative: string, mask: number): number;
  removeWatch(wd: number): void;
  /** Stops watching; idempotent. */
  close(): void;
}

/** A resource limit; RLIM_INFINITY is Infinity. */
export interface FsRlimit {
  soft: number;
  hard: number;
}

/**
 * The addon's surface. Every call runs on the libuv thread pool and rejects with an Error
 * carrying `errno`, `code` (e.g. 'EXDEV') and `syscall`, except the synchronous ones that say so
 * (openat2Cached, getrlimit, setrlimit), which throw it. O_CLOEXEC is always added to opens.
 */
export interface FsBinding {
  /** openat2(2); `dirfd` -100 is AT_FDCWD. Resolves with the new descriptor. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): Promise<number>;
  /**
   * openat2(2) with RESOLVE_CACHED added, in place (synchronous, the one exception to the thread
   * pool): the walk completes from the dentry cache or the call returns -1 (EAGAIN) without
   * reading a directory from disk. `flags` must include O_PATH. Throws an errno Error otherwise.
   */
  openat2Cached?(dirfd: number, path: string, flags: number, resolve: number): number;
  mkdirat(dirfd: number, path: string, mode: number): Promise<void>;
  unlinkat(dirfd: number, path: string, flags: number): Promise<void>;
  renameat2(oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number): Promise<void>;
  /** statx(2) of `path` relative to `dirfd`; flags as AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
  statAt(dirfd: number, path: string, flags: number): Promise<FsStatRecord>;
  /**
   * Up to `max` (1..65536) entries of the directory `dirfd` refers to (any descriptor of it,
   * O_PATH included), from the getdents64 offset `cookie` (0n: the start; else a record's
   * COOKIE), without '.' and '..', each with its statx beneath that directory
   * (AT_SYMLINK_NOFOLLOW). One thread-pool job: the directory is reopened as "." beneath
   * `dirfd`, sought, read and closed. Rejects with ENOTDIR, EBADF, ... as the other calls.
   */
  readDirectoryAt(dirfd: number, cookie: bigint, max: number): Promise<FsDirBatch>;
  /**
   * The next entries of a listing from its own directory descriptor's offset (O_RDONLY |
   * O_DIRECTORY, one per listing): at least `max` (1..65536) unless the directory ends, a few
   * more when one getdents64 returned them, records as readDirectoryAt's. It leaves the offset
   * right after the last entry returned and never seeks, so a listing that keeps its descriptor
   * misses nothing where offsets are positions (overlayfs merged directories, tmpfs before 6.6).
   */
  readDirectoryNext(listingFd: number, max: number): Promise<FsDirBatch>;
  /**
   * One thread-pool job: fstat `fd`, write each run (`runs[k]`'s Buffers, in order, at
   * `positions[k]`; pwritev, again after a short write), fstat again. When it resolves,
   * `identities` (8 values) holds size, mtimeNs, ctimeNs and ino of the first fstat, then of the
   * second (writeRunsStatted reads them). Rejects with the errno Error of the first failing call
   * (syscall fstat or pwritev); earlier runs were written.
   */
  writeRunsStat(fd: number, positions: number[], runs: Buffer[][], identities: BigInt64Array): Promise<void>;
  /**
   * The user.* extended attributes of the file `fd` refers to (O_PATH included), names without
   * the prefix; rejects with E2BIG when names and values come to more than `maxBytes`.
   */
  listUserXattrs(fd: number, maxBytes: number): Promise<Array<{ name: string; value: Buffer }>>;
  /** Set user.`name` of the file `fd` refers to, or remove it (`null`; a missing one is no error). */
  setUserXattr(fd: number, name: string, value: Buffer | null): Promise<void>;
  /** getrlimit(2) of this process, synchronous; throws an errno Error. */
  getrlimit(resource: number): FsRlimit;
  /** setrlimit(2) of this process, synchronous; raising the hard limit needs root (CAP_SYS_RESOURCE). */
  setrlimit(resource: number, soft: number, hard: number): void;
  constants: FsConstants;
  /** inotify(7), see FsInotify. */
  Inotify: new (onEvents: (events: FsInotifyEvent[]) => void) => FsInotify;
  inotifyConstants: FsInotifyConstants;
}

const FS_BUILD_LINE = 'npm run build:native (needs make and g++; no RDMA libraries)';

/** The values writeRunsStat fills: an identity (size, mtimeNs, ctimeNs, ino) before the writes, then one after. */
const WRITE_RUNS_IDENTITY_VALUES = 8;

/** FsBinding.writeRunsStat, resolving with the two fstat results as identities. */
export async function writeRunsStatted(
  binding: Pick<FsBinding, 'writeRunsStat'>, fd: number, positions: number[], runs: Buffer[][],
): Promise<{ before: FsFdIdentity; after: FsFdIdentity }> {
  const identities = new BigInt64Array(WRITE_RUNS_IDENTITY_VALUES);
  await binding.writeRunsStat(fd, positions, runs, identities);
  return { before: identityAt(identities, 0), after: identityAt(identities, WRITE_RUNS_IDENTITY_VALUES / 2) };
}

function identityAt(values: BigInt64Array, at: number): FsFdIdentity {
  return { size: values[at], mtimeNs: values[at + 1], ctimeNs: values[at + 2], ino: BigInt.asUintN(64, values[at + 3]) };
}

/** The addon, or one line saying why it is missing and how to build it. */
export function loadFsBinding(): { binding: FsBinding } | { error: string } {
  const path = addonCandidates('spliced_fs.node', 'SPLICED_FS_ADDON', import.meta.url).find((p) => existsSync(p));
  if (!path) return { error: `the file system addon spliced_fs.node is not built; run ${FS_BUILD_LINE}` };
  try {
    return { binding: createRequire(import.meta.url)(path) as FsBinding };
  } catch (err) {
    return { error: `cannot load ${path} (${String((err as Error).message).split('\n')[0]}); run ${FS_BUILD_LINE}` };
  }
}
