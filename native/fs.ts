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

/** One directory entry as getdents64 gave it, with its lstat (statx AT_SYMLINK_NOFOLLOW). */
export interface FsDirEntry {
  /** The name's raw bytes (host names need not be UTF-8). */
  name: Buffer;
  /** d_type (DT_DIR, DT_LNK, ...). */
  type: number;
  /** null when statx failed with statError. */
  stat: FsStatRecord | null;
  statError: number;
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

/** A resource limit; RLIM_INFINITY is Infinity. */
export interface FsRlimit {
  soft: number;
  hard: number;
}

/**
 * The addon's surface. Every call runs on the libuv thread pool and rejects with an Error
 * carrying `errno`, `code` (e.g. 'EXDEV') and `syscall`. O_CLOEXEC is always added to opens.
 */
export interface FsBinding {
  /** openat2(2); `dirfd` -100 is AT_FDCWD. Resolves with the new descriptor. */
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): Promise<number>;
  mkdirat(dirfd: number, path: string, mode: number): Promise<void>;
  unlinkat(dirfd: number, path: string, flags: number): Promise<void>;
  renameat2(oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number): Promise<void>;
  /** statx(2) of `path` relative to `dirfd`; flags as AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
  statAt(dirfd: number, path: string, flags: number): Promise<FsStatRecord>;
  /**
   * The next entries (about `max`, without '.' and '..') from the directory descriptor's
   * current offset; an empty array at the end. Give each listing its own descriptor.
   */
  readDirectory(fd: number, max: number): Promise<FsDirEntry[]>;
  /**
   * Up to `max` (1..65536) entries of the directory `dirfd` refers to (any descriptor of it,
   * O_PATH included), from the getdents64 offset `cookie` (0n: the start; else a record's
   * COOKIE), without '.' and '..', each with its statx beneath that directory
   * (AT_SYMLINK_NOFOLLOW). One thread-pool job: the directory is reopened as "." beneath
   * `dirfd`, sought, read and closed. Rejects with ENOTDIR, EBADF, ... as the other calls.
   */
  readDirectoryAt(dirfd: number, cookie: bigint, max: number): Promise<FsDirBatch>;
  /**
   * One thread-pool job: fstat `fd`, write each run (`runs[k]`'s Buffers, in order, at
   * `positions[k]`; pwritev, again after a short write), fstat again. Rejects with the errno
   * Error of the first failing call (syscall fstat or pwritev); earlier runs were written.
   */
  writeRunsStat(fd: number, positions: number[], runs: Buffer[][]): Promise<{ before: FsFdIdentity; after: FsFdIdentity }>;
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
}

const FS_BUILD_LINE = 'npm run build:native (needs make and g++; no RDMA libraries)';

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
