import { QueryDirectoryFlag } from '../../smb2/constants.js';
import { decodeQueryDirectoryRequest, encodeQueryDirectoryResponse } from '../../smb2/commands/query-directory.js';
import { Status } from '../../smb2/status.js';
import { encodeDirectoryEntries, fileRecordFromStats, isDirectoryInfoClass, matchesPattern, type FileRecord } from '../../smb2/info/index.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { DirectoryCursor, Open } from '../state.js';
import { descriptorOf, findOpen } from '../open-files.js';
import { HostStats, type HostDirEntry } from '../host-fs.js';
import { closeQuietly, hostFailure, type ShareRoot } from '../share-root.js';
import { requireCreditCharge } from './credit-charge.js';

/** Entries read (and lstat'ed) per thread-pool job: other clients are served between batches. */
const LISTING_BATCH = 512;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A host name as UTF-8, or null for names that are not (no client could open them). */
function decodeName(raw: Buffer): string | null {
  try {
    return utf8.decode(raw);
  } catch {
    return null;
  }
}

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

/**
 * An entry's stats come from lstat of the entry itself, never through a symlink to outside:
 * a symlink that stays inside the share is reported as its target (as Samba's default
 * "follow symlinks" with "wide links = no"); one that leads out, loops or dangles is
 * reported as the link itself.
 */
async function entryStats(open: Open, entry: HostDirEntry, name: string): Promise<HostStats | null> {
  if (!entry.stat) return null;
  const own = new HostStats(entry.stat);
  if (!own.isSymbolicLink()) return own;
  const parts = open.relative === '' ? [name] : [...open.relative.split('/'), name];
  return (await statInside(open.tree.root!, parts, 0)) ?? own;
}

/** '.' is the open directory itself (its descriptor); '..' its parent inside the share (the root for the root). */
async function dotEntries(open: Open): Promise<Array<[string, HostStats | null]>> {
  const root = open.tree.root!;
  const self = await root.stat(descriptorOf(open));
  if (open.relative === '') return [['.', self], ['..', self]];
  const parentParts = open.relative.split('/').slice(0, -1);
  return [['.', self], ['..', await statInside(root, parentParts, root.fs.constants.O_DIRECTORY)]];
}

/**
 * A snapshot of the directory read from the open's own descriptor (a fresh descriptor of the
 * same directory, so each listing starts at its beginning): '.' and '..' first, then names
 * sorted, read in batches that yield to the event loop.
 */
async function listDirectory(open: Open, pattern: string): Promise<FileRecord[]> {
  const root = open.tree.root!;
  const c = root.fs.constants;
  const dots: FileRecord[] = [];
  for (const [name, st] of await dotEntries(open)) if (st && matchesPattern(pattern, name)) dots.push(fileRecordFromStats(name, st));
  const out: FileRecord[] = [];
  let listing: number;
  try {
    listing = await root.fs.openat2(descriptorOf(open), '.', c.O_RDONLY | c.O_DIRECTORY, 0, c.RESOLVE_BENEATH);
  } catch (err) {
    throw hostFailure(err);
  }
  try {
    for (let batch = await root.fs.readDirectory(listing, LISTING_BATCH); batch.length > 0; batch = await root.fs.readDirectory(listing, LISTING_BATCH)) {
      for (const entry of batch) {
        const name = decodeName(entry.name);
        if (name === null || !matchesPattern(pattern, name)) continue;
        const st = await entryStats(open, entry, name);
        if (st) out.push(fileRecordFromStats(name, st));
      }
    }
  } catch (err) {
    throw hostFailure(err);
  } finally {
    await closeQuietly(listing);
  }
  // Sorted by name, as clients have seen it so far (libuv's scandir sorts too).
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...dots, ...out];
}

async function cursorFor(open: Open, flags: number, pattern: string): Promise<{ cursor: DirectoryCursor; fresh: boolean }> {
  const restart = (flags & (QueryDirectoryFlag.RESTART_SCANS | QueryDirectoryFlag.REOPEN)) !== 0;
  if (open.cursor && !restart) return { cursor: open.cursor, fresh: false };
  const effective = pattern || open.cursor?.pattern || '*';
  open.cursor = { pattern: effective, entries: await listDirectory(open, effective), next: 0 };
  return { cursor: open.cursor, fresh: true };
}

/** QUERY_DIRECTORY, [MS-SMB2] 3.3.5.18. */
export async function queryDirectory(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeQueryDirectoryRequest(ctx.reader);
  requireCreditCharge(ctx, req.outputBufferLength);
  const open = findOpen(ctx, req.fileId);
  if (!open.isDirectory) return { status: Status.INVALID_PARAMETER };
  if (!isDirectoryInfoClass(req.infoClass)) return { status: Status.INVALID_INFO_CLASS };
  const { cursor, fresh } = await cursorFor(open, req.flags, req.pattern);
  if (cursor.next >= cursor.entries.length) {
    return { status: fresh && cursor.entries.length === 0 ? Status.NO_SUCH_FILE : Status.NO_MORE_FILES };
  }
  const single = (req.flags & QueryDirectoryFlag.RETURN_SINGLE_ENTRY) !== 0;
  const max = Math.min(req.outputBufferLength, ctx.core.options.maxIoSize);
  const { buffer, count } = encodeDirectoryEntries(req.infoClass, cursor.entries.slice(cursor.next), max, single);
  if (count === 0) return { status: Status.INFO_LENGTH_MISMATCH };
  cursor.next += count;
  return { status: Status.SUCCESS, body: encodeQueryDirectoryResponse(buffer) };
}
