/**
 * The *at file system calls the server needs, injected (the spliced_fs addon in production,
 * see native/fs.ts). Every share path is resolved beneath a share-root descriptor with
 * openat2, and every operation on an open handle goes through its descriptor.
 */
export interface HostStat {
  dev: bigint;
  ino: bigint;
  mode: bigint;
  nlink: bigint;
  uid: bigint;
  gid: bigint;
  size: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;
}

/** One batch of readDirectoryAt: packed records (DIR_RECORD) and the names' raw bytes. */
export interface HostDirBatch {
  records: Buffer;
  names: Buffer;
  /** The end of the directory was reached. */
  end: boolean;
}

/** Byte offsets in a readDirectoryAt record (native/src/fs/dir-read.cc PackedEntry; times are seconds + nanoseconds). */
export const DIR_RECORD = {
  SIZE: 96,
  COOKIE: 0, // i64: the getdents64 offset of the entry after this one
  INO: 8, // u64
  FILE_SIZE: 16, // u64
  ATIME_SEC: 24, // i64
  MTIME_SEC: 32,
  CTIME_SEC: 40,
  BTIME_SEC: 48,
  ATIME_NSEC: 56, // u32
  MTIME_NSEC: 60,
  CTIME_NSEC: 64,
  BTIME_NSEC: 68,
  MODE: 72, // u32
  NLINK: 76, // u32
  NAME_OFFSET: 80, // u32, into `names`
  NAME_LENGTH: 84, // u16
  TYPE: 86, // u8 d_type
  HAS_BTIME: 87, // u8
  STAT_ERROR: 88, // i32 errno of a failed statx, 0 when the stat fields are valid
} as const;

export interface HostFsConstants {
  O_PATH: number;
  O_DIRECTORY: number;
  O_NOFOLLOW: number;
  O_CREAT: number;
  O_EXCL: number;
  O_RDONLY: number;
  O_RDWR: number;
  RESOLVE_NO_MAGICLINKS: number;
  RESOLVE_NO_SYMLINKS: number;
  RESOLVE_BENEATH: number;
  AT_REMOVEDIR: number;
  AT_SYMLINK_NOFOLLOW: number;
  AT_EMPTY_PATH: number;
  RENAME_NOREPLACE: number;
  DT_LNK: number;
}

/** One inotify(7) event (native/fs.ts FsInotifyEvent); `name` is empty for the watched directory itself. */
export interface HostInotifyEvent {
  wd: number;
  mask: number;
  cookie: number;
  name: Buffer;
}

/** An inotify instance (native/fs.ts FsInotify): watches added beneath a directory descriptor. */
export interface HostInotify {
  addWatch(dirfd: number, relative: string, mask: number): number;
  removeWatch(wd: number): void;
  close(): void;
}

/** inotify(7) mask bits of this host. */
export interface HostInotifyConstants {
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

/** Errors reject with Node-style `code` ('EXDEV', 'ENOENT', ...) and `errno`. */
export interface HostFs {
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): Promise<number>;
  /** openat2 with RESOLVE_CACHED, synchronous, O_PATH only: the descriptor, or -1 when the dentry cache cannot complete the walk (native/fs.ts). */
  openat2Cached?(dirfd: number, path: string, flags: number, resolve: number): number;
  mkdirat(dirfd: number, path: string, mode: number): Promise<void>;
  unlinkat(dirfd: number, path: string, flags: number): Promise<void>;
  renameat2(oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number): Promise<void>;
  statAt(dirfd: number, path: string, flags: number): Promise<HostStat>;
  /** Up to `max` entries of directory `dirfd` from getdents64 offset `cookie`, each lstat'ed beneath it (native/fs.ts). */
  readDirectoryAt(dirfd: number, cookie: bigint, max: number): Promise<HostDirBatch>;
  /** The next entries (about `max`) from a listing descriptor's own offset, without seeking (native/fs.ts). */
  readDirectoryNext(listingFd: number, max: number): Promise<HostDirBatch>;
  /** The user.* extended attributes of `fd`'s file (native/fs.ts); absent: SMB extended attributes are not supported. */
  listUserXattrs?(fd: number, maxBytes: number): Promise<Array<{ name: string; value: Buffer }>>;
  /** Set (or, with null, remove) user.`name` of `fd`'s file. */
  setUserXattr?(fd: number, name: string, value: Buffer | null): Promise<void>;
  constants: HostFsConstants;
  /** Change notification (CHANGE_NOTIFY, server/notify/); without it CHANGE_NOTIFY is NOT_SUPPORTED. */
  Inotify?: new (onEvents: (events: HostInotifyEvent[]) => void) => HostInotify;
  inotifyConstants?: HostInotifyConstants;
}

/** `stat.mode & S_IFMT` values, inode(7). */
export const FileType = { MASK: 0o170000, DIRECTORY: 0o040000, REGULAR: 0o100000, SYMLINK: 0o120000 } as const;

/** A HostStat with the BigIntStats-style predicates fileRecordFromStats uses (the interface merges its fields into the class). */
export interface HostStats extends HostStat {}
export class HostStats {
  constructor(s: HostStat) {
    Object.assign(this, s);
  }

  private type(): number {
    return Number(this.mode) & FileType.MASK;
  }
  isDirectory(): boolean {
    return this.type() === FileType.DIRECTORY;
  }
  isFile(): boolean {
    return this.type() === FileType.REGULAR;
  }
  isSymbolicLink(): boolean {
    return this.type() === FileType.SYMLINK;
  }
}

/** The identity that keys share modes and locks, and that re-verifies a name before unlink/rename. */
export function fileKeyOf(st: { dev: bigint; ino: bigint }): string {
  return `${st.dev}:${st.ino}`;
}
