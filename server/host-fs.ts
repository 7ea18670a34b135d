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

export interface HostDirEntry {
  name: Buffer;
  type: number;
  stat: HostStat | null;
  statError: number;
}

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

/** Errors reject with Node-style `code` ('EXDEV', 'ENOENT', ...) and `errno`. */
export interface HostFs {
  openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): Promise<number>;
  mkdirat(dirfd: number, path: string, mode: number): Promise<void>;
  unlinkat(dirfd: number, path: string, flags: number): Promise<void>;
  renameat2(oldDirfd: number, oldPath: string, newDirfd: number, newPath: string, flags: number): Promise<void>;
  statAt(dirfd: number, path: string, flags: number): Promise<HostStat>;
  readDirectory(fd: number, max: number): Promise<HostDirEntry[]>;
  constants: HostFsConstants;
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
