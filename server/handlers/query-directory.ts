import { readdir, stat, lstat } from 'node:fs/promises';
import path from 'node:path';
import { QueryDirectoryFlag } from '../../smb2/constants.js';
import { decodeQueryDirectoryRequest, encodeQueryDirectoryResponse } from '../../smb2/commands/query-directory.js';
import { Status, SmbStatusError, statusFromErrno } from '../../smb2/status.js';
import { encodeDirectoryEntries, fileRecordFromStats, isDirectoryInfoClass, matchesPattern, type FileRecord } from '../../smb2/info/index.js';
import type { HandlerResult, RequestContext } from '../handler.js';
import type { DirectoryCursor, Open } from '../state.js';
import { findOpen } from '../open-files.js';
import { requireCreditCharge } from './credit-charge.js';

async function recordFor(name: string, absolute: string): Promise<FileRecord | null> {
  const st = await stat(absolute, { bigint: true }).catch(() => lstat(absolute, { bigint: true }).catch(() => null));
  return st ? fileRecordFromStats(name, st) : null;
}

/** A snapshot of the directory: '.' and '..' first, then names in on-disk order. */
async function listDirectory(open: Open, pattern: string): Promise<FileRecord[]> {
  let names: string[];
  try {
    names = await readdir(open.absolute);
  } catch (err) {
    throw new SmbStatusError(statusFromErrno((err as NodeJS.ErrnoException).code));
  }
  const parent = open.relative === '' ? open.absolute : path.dirname(open.absolute);
  const candidates: Array<[string, string]> = [['.', open.absolute], ['..', parent], ...names.map((n): [string, string] => [n, path.join(open.absolute, n)])];
  const out: FileRecord[] = [];
  for (const [name, absolute] of candidates) {
    if (!matchesPattern(pattern, name)) continue;
    const rec = await recordFor(name, absolute);
    if (rec) out.push(rec);
  }
  return out;
}

async function cursorFor(open: Open, flags: number, pattern: string): Promise<{ cursor: DirectoryCursor; fresh: boolean }> {
  const restart = (flags & (QueryDirectoryFlag.RESTART_SCANS | QueryDirectoryFlag.REOPEN)) !== 0;
  if (open.cursor && !restart) return { cursor: open.cursor, fresh: false };
  const effective = pattern || open.cursor?.pattern || '*';
  open.cursor = { pattern: effective, entries: await listDirectory(open, effective), next: 0 };
  return { cursor: open.cursor, fresh: true };
}

/** QUERY_DIRECTORY, [MS-SMB2] 3.3.5.18. */
export async function queryDirectory(ctx: RequestContext): Promise<HandlerResult> {
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
