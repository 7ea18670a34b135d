/**
 * Directory enumeration for QUERY_DIRECTORY: '.' and '..' first, then the host entries in
 * getdents64 order, read in bounded batches (readDirectoryAt: one thread-pool job per batch,
 * each entry lstat'ed beneath the directory's own descriptor) and encoded straight into the
 * response. Per request the memory is one batch; per open, a DirectoryCursor.
 */
import {
  allocationFor,
  attributesFor,
  DirectoryEntry,
  entryFromRecord,
  EntryWord,
  fileRecordFromStats,
  matchesPattern,
  setFileTimeWords,
  type DirectoryEntryWriter,
  type FileRecord,
} from '../smb2/info/index.js';
import { closeListing, UNSENT_MAX_BYTES, type DirectoryCursor, type ListingDescriptor, type UnsentEntries } from './directory-cursor.js';
import { DIR_RECORD, FileType, type HostStats } from './host-fs.js';
import { descriptorOf } from './open-files.js';
import { reopen, statHeld } from './create-file.js';
import { closeQuietly, hostFailure, type ShareRoot } from './share-root.js';
import type { Open } from './state.js';

/**
 * Most entries read per thread-pool job: bounds what one request holds (96-byte records plus
 * names of at most 255 bytes) and lets other clients be served between batches.
 */
export const LISTING_BATCH = 1024;
/** Fewest entries read per job, so small buffers and patterns do not cost a job per entry. */
const MIN_BATCH = 32;
const TWO_32 = 0x1_0000_0000;
const MATCH_ALL = new Set(['*', '*.*']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** stat of share-relative `parts` beneath the root (symlinks followed only while inside), or null. */
async function statInside(root: ShareRoot, parts: string[], flags: number): Promise<HostStats | null> {
  const fd = await root.open(parts, root.fs.constants.O_PATH | flags).catch(() => null);
  if (fd === null) return null;
  try {
    return await root.stat(fd);
  } finally {
    await closeQuietly(fd);
  }
}

/** '.' is the open directory itself (its descriptor); '..' its parent inside the share (the root for the root). */
async function dotRecords(open: Open, pattern: string): Promise<FileRecord[]> {
  const root = open.tree.root!;
  const self = statHeld(descriptorOf(open)); // now, while the open (and so its descriptor) is known to be alive
  const parent =
    open.relative === '' ? self : await statInside(root, open.relative.split('/').slice(0, -1), root.fs.constants.O_DIRECTORY);
  const dots: Array<[string, HostStats | null]> = [['.', self], ['..', parent]];
  return dots.filter(([name, st]) => st !== null && matchesPattern(pattern, name)).map(([name, st]) => fileRecordFromStats(name, st!));
}

/** A cursor at the start of the directory: '.' and '..' stat'ed now; the open's previous listing, if any, ends. */
export async function startCursor(open: Open, pattern: string): Promise<DirectoryCursor> {
  if (open.cursor) closeListing(open.cursor);
  return { pattern, dots: await dotRecords(open, pattern), cookie: 0n, end: false, averageName: 16, seeking: false };
}

/**
 * A symlink that stays inside the share is reported as its target (as Samba's default "follow
 * symlinks" with "wide links = no"); one that leads out, loops or dangles as the link itself
 * (null here). The target is resolved beneath the share root, never followed out of it.
 */
async function followedInside(open: Open, name: string): Promise<FileRecord | null> {
  const parts = open.relative === '' ? [name] : [...open.relative.split('/'), name];
  const st = await statInside(open.tree.root!, parts, 0);
  return st ? fileRecordFromStats(name, st) : null;
}

function u64At(b: Buffer, at: number): number {
  return b.readUInt32LE(at + 4) * TWO_32 + b.readUInt32LE(at);
}

function i64At(b: Buffer, at: number): number {
  return b.readInt32LE(at + 4) * TWO_32 + b.readUInt32LE(at);
}

/** A record's name, or null for names that are not UTF-8 (no client could open them). */
function nameAt(batch: UnsentEntries, at: number): string | null {
  const start = batch.records.readUInt32LE(at + DIR_RECORD.NAME_OFFSET) - batch.nameBase;
  const end = start + batch.records.readUInt16LE(at + DIR_RECORD.NAME_LENGTH);
  const name = batch.names.toString('utf8', start, end);
  if (!name.includes('\uFFFD')) return name;
  try {
    return utf8.decode(batch.names.subarray(start, end));
  } catch {
    return null;
  }
}

function setTime(entry: DirectoryEntry, slot: number, r: Buffer, secAt: number, nsecAt: number): void {
  setFileTimeWords(entry.words, slot, i64At(r, secAt), r.readUInt32LE(nsecAt));
}

/** What fileRecordFromStats makes of an lstat, read straight from a packed record into `entry`. */
function fillFromRecord(entry: DirectoryEntry, r: Buffer, at: number, name: string): void {
  const mode = r.readUInt32LE(at + DIR_RECORD.MODE);
  const isDirectory = (mode & FileType.MASK) === FileType.DIRECTORY;
  const size = isDirectory ? 0 : u64At(r, at + DIR_RECORD.FILE_SIZE);
  entry.name = name;
  entry.size = size;
  entry.allocationSize = allocationFor(size);
  entry.attributes = attributesFor(isDirectory, mode);
  // No birth time (or none before 1970): ctime stands in, as in fileRecordFromStats.
  const hasBirth = r[at + DIR_RECORD.HAS_BTIME] !== 0 && (i64At(r, at + DIR_RECORD.BTIME_SEC) > 0 || r.readUInt32LE(at + DIR_RECORD.BTIME_NSEC) > 0);
  const creation = hasBirth ? DIR_RECORD.BTIME_SEC : DIR_RECORD.CTIME_SEC;
  setTime(entry, EntryWord.CREATION, r, at + creation, at + (hasBirth ? DIR_RECORD.BTIME_NSEC : DIR_RECORD.CTIME_NSEC));
  setTime(entry, EntryWord.LAST_ACCESS, r, at + DIR_RECORD.ATIME_SEC, at + DIR_RECORD.ATIME_NSEC);
  setTime(entry, EntryWord.LAST_WRITE, r, at + DIR_RECORD.MTIME_SEC, at + DIR_RECORD.MTIME_NSEC);
  setTime(entry, EntryWord.CHANGE, r, at + DIR_RECORD.CTIME_SEC, at + DIR_RECORD.CTIME_NSEC);
  entry.words[EntryWord.FILE_ID] = r.readUInt32LE(at + DIR_RECORD.INO);
  entry.words[EntryWord.FILE_ID + 1] = r.readUInt32LE(at + DIR_RECORD.INO + 4);
}

/**
 * Writes the batch's matching entries into `out` until one does not fit; the cursor moves past
 * every entry written or skipped. Returns the offset of the record `out` refused, or -1 when
 * the whole batch was consumed.
 */
async function writeBatch(open: Open, cursor: DirectoryCursor, batch: UnsentEntries, out: DirectoryEntryWriter, entry: DirectoryEntry): Promise<number> {
  const r = batch.records;
  let consumed = -1;
  let nameUnits = 0;
  let named = 0;
  try {
    for (let at = 0; at < r.length; at += DIR_RECORD.SIZE) {
      const name = nameAt(batch, at);
      if (name !== null && r.readInt32LE(at + DIR_RECORD.STAT_ERROR) === 0 && matchesPattern(cursor.pattern, name)) {
        const isLink = (r.readUInt32LE(at + DIR_RECORD.MODE) & FileType.MASK) === FileType.SYMLINK;
        const followed = isLink ? await followedInside(open, name) : null;
        if (followed) entryFromRecord(followed, entry);
        else fillFromRecord(entry, r, at, name);
        if (!out.add(entry)) return at;
        nameUnits += name.length;
        named++;
      }
      consumed = at;
    }
    return -1;
  } finally {
    if (consumed >= 0) cursor.cookie = r.readBigInt64LE(consumed + DIR_RECORD.COOKIE);
    if (named > 0) cursor.averageName = nameUnits / named;
  }
}

/** The batch from record offset `at` on, copied compactly, or undefined when it is over UNSENT_MAX_BYTES. */
function unsentFrom(batch: UnsentEntries, at: number): UnsentEntries | undefined {
  const records = batch.records.subarray(at);
  const nameStart = records.readUInt32LE(DIR_RECORD.NAME_OFFSET) - batch.nameBase;
  const names = batch.names.subarray(nameStart);
  if (records.length + names.length > UNSENT_MAX_BYTES) return undefined;
  return { records: Buffer.from(records), names: Buffer.from(names), end: batch.end, nameBase: batch.nameBase + nameStart };
}

/** How many entries to read next: about what still fits, within MIN_BATCH..LISTING_BATCH. */
function batchSize(cursor: DirectoryCursor, out: DirectoryEntryWriter): number {
  if (!MATCH_ALL.has(cursor.pattern)) return LISTING_BATCH;
  return Math.min(LISTING_BATCH, Math.max(MIN_BATCH, out.roomFor(cursor.averageName)));
}

/**
 * The listing's own descriptor, reopened from the open's now, synchronously: the open is alive
 * at this point (its close ends the cursor first), while a thread-pool job could run after the
 * handle closed and its descriptor number named another directory.
 */
function openListing(open: Open): ListingDescriptor {
  const c = open.tree.root!.fs.constants;
  try {
    return { fd: reopen(descriptorOf(open), c.O_RDONLY | c.O_DIRECTORY), closed: false };
  } catch (err) {
    throw hostFailure(err);
  }
}

/**
 * The next host entries: what the last response left unsent, else a batch read through the
 * listing's descriptor (opened at the first read): from where the last batch ended, or, once
 * the cursor fell back to seeking, from its cookie.
 */
async function nextEntries(open: Open, cursor: DirectoryCursor, max: number): Promise<UnsentEntries> {
  if (cursor.unsent) {
    const unsent = cursor.unsent;
    cursor.unsent = undefined;
    return unsent;
  }
  const fs = open.tree.root!.fs;
  const listing = cursor.listing ?? (cursor.listing = openListing(open));
  const reading = cursor.seeking ? fs.readDirectoryAt(listing.fd, cursor.cookie, max) : fs.readDirectoryNext(listing.fd, max);
  listing.reading = reading.catch(() => undefined);
  try {
    return { ...(await reading.catch(rethrowHost)), nameBase: 0 };
  } finally {
    listing.reading = undefined;
  }
}

function rethrowHost(err: unknown): never {
  throw hostFailure(err);
}

/** What the response could not take: kept for the next request, or dropped for seeking when too large. */
function keepUnsent(cursor: DirectoryCursor, batch: UnsentEntries, at: number): void {
  const unsent = unsentFrom(batch, at);
  if (unsent) {
    cursor.unsent = unsent;
    return;
  }
  cursor.seeking = true; // the listing descriptor's offset is past what was dropped
}

/** Writes the cursor's next entries into `out` until it is full or the directory ends. */
export async function continueListing(open: Open, cursor: DirectoryCursor, out: DirectoryEntryWriter): Promise<void> {
  const entry = new DirectoryEntry();
  while (cursor.dots.length > 0) {
    if (!out.add(entryFromRecord(cursor.dots[0]!, entry))) return;
    cursor.dots.shift();
  }
  while (!cursor.end && !out.full) {
    const batch = await nextEntries(open, cursor, batchSize(cursor, out));
    const refused = await writeBatch(open, cursor, batch, out, entry);
    if (refused >= 0) return keepUnsent(cursor, batch, refused);
    cursor.end = batch.end;
  }
  if (cursor.end) closeListing(cursor);
}
