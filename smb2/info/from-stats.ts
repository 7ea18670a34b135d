import type { FileRecord } from './file-record.js';
import { FileAttribute } from './classes.js';
import { fileTimeFromNs } from './filetime.js';

/** The allocation unit reported for AllocationSize (the common 4 KiB cluster). */
export const ALLOCATION_UNIT = 4096;

/** Round a size up to whole allocation units. */
export function allocationFor(size: number): number {
  return Math.ceil(size / ALLOCATION_UNIT) * ALLOCATION_UNIT;
}

/**
 * A FileRecord from a bigint lstat/stat result.
 * Directories report EndOfFile and AllocationSize 0 (as NTFS and Samba do); files get
 * FILE_ATTRIBUTE_ARCHIVE, directories FILE_ATTRIBUTE_DIRECTORY, never NORMAL ([MS-FSCC] 2.6:
 * NORMAL is valid only alone). Linux may report no birth time (0): ctime stands in for it.
 */
/** Owner write permission: its absence is what READONLY means here. */
export const OWNER_WRITE = 0o200;

/**
 * DOS attributes are not stored: the mode bits carry READONLY, set when the owner may not
 * write the file (Samba's default "map readonly = yes").
 */
export function isReadOnlyMode(mode: number | bigint): boolean {
  return (Number(mode) & OWNER_WRITE) === 0;
}

/** What a FileRecord needs of a stat result (a bigint fs.Stats or the server's statx record). */
export interface StatLike {
  mode: bigint;
  size: bigint;
  nlink: bigint;
  ino: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  birthtimeNs: bigint;
  isDirectory(): boolean;
}

/** DIRECTORY for directories; ARCHIVE for every other file, plus READONLY. */
export function attributesFor(isDirectory: boolean, mode: number | bigint): number {
  if (isDirectory) return FileAttribute.DIRECTORY;
  return isReadOnlyMode(mode) ? FileAttribute.ARCHIVE | FileAttribute.READONLY : FileAttribute.ARCHIVE;
}

export function fileRecordFromStats(name: string, st: StatLike): FileRecord {
  const isDirectory = st.isDirectory();
  const size = isDirectory ? 0 : Number(st.size);
  const creationNs = st.birthtimeNs > 0n ? st.birthtimeNs : st.ctimeNs;
  return {
    name,
    isDirectory,
    size,
    allocationSize: allocationFor(size),
    creationTime: fileTimeFromNs(creationNs),
    lastAccessTime: fileTimeFromNs(st.atimeNs),
    lastWriteTime: fileTimeFromNs(st.mtimeNs),
    changeTime: fileTimeFromNs(st.ctimeNs),
    fileId: st.ino,
    attributes: attributesFor(isDirectory, st.mode),
    links: Number(st.nlink),
  };
}
