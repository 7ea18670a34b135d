import type { FileRecord } from '../smb2/info/index.js';

/**
 * Directory enumeration state of one open, [MS-SMB2] 3.3.1.10 (Open.EnumerationLocation and
 * Open.EnumerationSearchPattern). Its size does not depend on the directory's: the position is
 * a getdents64 offset, entries are read in bounded batches per QUERY_DIRECTORY, and what was
 * read but did not fit is read again next time.
 */
export interface DirectoryCursor {
  pattern: string;
  /** '.' and '..' still to send (their stats are taken when the scan starts). */
  dots: FileRecord[];
  /** getdents64 offset of the next host entry to read (0n: the start). */
  cookie: bigint;
  /** The host directory has been read to its end. */
  end: boolean;
  /** Average name length (UTF-16 units) seen so far: sizes the next batch. */
  averageName: number;
}
