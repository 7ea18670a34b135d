import type { FileRecord } from '../smb2/info/index.js';
import type { HostDirBatch } from './host-fs.js';
import { closeQuietly } from './share-root.js';

/**
 * Entries read from the host but not sent yet: the rest of a batch when a response filled up,
 * copied compactly (`names` starts at `nameBase` of the batch's names, `records` at the first
 * unsent record).
 */
export interface UnsentEntries extends HostDirBatch {
  nameBase: number;
}

/**
 * The listing's own directory descriptor (O_RDONLY | O_DIRECTORY, reopened beneath the open's),
 * read with readDirectoryNext from where the last batch ended, never sought: where a getdents64
 * offset is a position, not a stable cookie (overlayfs merged directories, tmpfs before Linux
 * 6.6), seeking back after an earlier entry was removed skips entries. A read in flight keeps it
 * open until it settles, so its number is never reused under the read.
 */
export interface ListingDescriptor {
  readonly fd: number;
  reading?: Promise<unknown>;
  closed: boolean;
}

/**
 * Directory enumeration state of one open, [MS-SMB2] 3.3.1.10 (Open.EnumerationLocation and
 * Open.EnumerationSearchPattern). Its size does not depend on the directory's: host entries are
 * read in bounded batches per QUERY_DIRECTORY through the listing's own descriptor, and what was
 * read but did not fit is kept (up to UNSENT_MAX_BYTES) for the next request.
 */
export interface DirectoryCursor {
  pattern: string;
  /** '.' and '..' still to send (their stats are taken when the scan starts). */
  dots: FileRecord[];
  /** getdents64 offset of the next host entry to send (0n: the start). */
  cookie: bigint;
  /** Every host entry has been sent (or skipped by the pattern). */
  end: boolean;
  /** Average name length (UTF-16 units) seen so far: sizes the next batch. */
  averageName: number;
  /** The listing's descriptor; undefined before the first read and after the end. */
  listing?: ListingDescriptor;
  /** Read and not sent; only with `listing`, never while seeking. */
  unsent?: UnsentEntries;
  /** The unsent rest of a batch was too large to keep: the listing goes on from `cookie` (readDirectoryAt on its descriptor). */
  seeking: boolean;
}

/** Most bytes of unsent entries one cursor keeps; past this it seeks instead (a few dozen entries fit). */
export const UNSENT_MAX_BYTES = 8 * 1024;

/** Closes the cursor's listing descriptor (after its read in flight, if any) and drops what it kept. */
export function closeListing(cursor: DirectoryCursor): void {
  const listing = cursor.listing;
  cursor.listing = undefined;
  cursor.unsent = undefined;
  if (!listing || listing.closed) return;
  listing.closed = true;
  if (listing.reading) void listing.reading.finally(() => closeQuietly(listing.fd));
  else void closeQuietly(listing.fd);
}

/** Its open closed: the listing ends, and a QUERY_DIRECTORY in flight answers with what it has. */
export function endCursor(cursor: DirectoryCursor): void {
  closeListing(cursor);
  cursor.dots = [];
  cursor.end = true;
}
