import type { Reader, Writer } from '../../wire/index.js';

/**
 * The times, sizes and attributes that CREATE and CLOSE responses both carry, in this order
 * ([MS-SMB2] 2.2.14 and 2.2.16): CreationTime, LastAccessTime, LastWriteTime, ChangeTime
 * (FILETIME), AllocationSize, EndOfFile, FileAttributes.
 */
export interface OpenAttributes {
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  allocationSize: bigint;
  endOfFile: bigint;
  fileAttributes: number;
}

export function writeOpenAttributes(w: Writer, a: OpenAttributes): void {
  w.u64(a.creationTime).u64(a.lastAccessTime).u64(a.lastWriteTime).u64(a.changeTime);
  w.u64(a.allocationSize).u64(a.endOfFile).u32(a.fileAttributes);
}

export function readOpenAttributes(r: Reader): OpenAttributes {
  return {
    creationTime: r.u64(),
    lastAccessTime: r.u64(),
    lastWriteTime: r.u64(),
    changeTime: r.u64(),
    allocationSize: r.u64(),
    endOfFile: r.u64(),
    fileAttributes: r.u32(),
  };
}
