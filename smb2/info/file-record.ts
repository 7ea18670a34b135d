/**
 * What the info-class encoders need to know about one file or directory.
 * Times are FILETIME: 100 ns intervals since 1601-01-01 UTC ([MS-DTYP] 2.3.3).
 */
export interface FileRecord {
  /** Leaf name (directory entries use it; '.' and '..' included). */
  name: string;
  isDirectory: boolean;
  /** EndOfFile in bytes. */
  size: number;
  /** AllocationSize in bytes (size rounded up to the allocation unit). */
  allocationSize: number;
  creationTime: bigint;
  lastAccessTime: bigint;
  lastWriteTime: bigint;
  changeTime: bigint;
  /** Stable per-file id (the inode number). */
  fileId: bigint;
  /** FILE_ATTRIBUTE_* flags, [MS-FSCC] 2.6. */
  attributes: number;
  /** Hard link count. */
  links: number;
}
