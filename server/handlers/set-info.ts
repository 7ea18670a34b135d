import { chmod, readdir, rename, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { Access, InfoType, ShareAccess } from '../../smb2/constants.js';
import { decodeSetInfoRequest, encodeSetInfoResponse } from '../../smb2/commands/set-info.js';
import { Status, SmbStatusError, statusFromErrno } from '../../smb2/status.js';
import { FileAttribute, decodeSetFileInfo, msFromFileTime, type SetFileInfo } from '../../smb2/info/index.js';
import { OWNER_WRITE } from '../../smb2/info/from-stats.js';
import type { HandlerResult, RequestContext } from '../handler.js';
import type { Open } from '../state.js';
import { findOpen } from '../open-files.js';
import { requireAccess } from '../access.js';

/** [MS-FSCC] FILE_DISPOSITION_INFORMATION_EX flag FILE_DISPOSITION_DELETE. */
const DISPOSITION_EX_DELETE = 0x1;
const UNCHANGED_TIMES = [0n, 0xffffffffffffffffn];

function fsFailure(err: unknown): SmbStatusError {
  return err instanceof SmbStatusError ? err : new SmbStatusError(statusFromErrno((err as NodeJS.ErrnoException).code));
}

/** Every write permission bit: READONLY takes them all away, as `chmod a-w` does. */
const ANY_WRITE = 0o222;

/**
 * FileAttributes 0 means "unchanged" ([MS-FSCC] 2.4.7). Only READONLY is stored, in the mode
 * bits (see fileRecordFromStats); directories ignore it, as Windows does.
 */
async function setReadOnly(open: Open, attributes: number): Promise<void> {
  if (attributes === 0 || open.isDirectory) return;
  const mode = (await stat(open.absolute)).mode & 0o7777;
  const wanted = attributes & FileAttribute.READONLY ? mode & ~ANY_WRITE : mode | OWNER_WRITE;
  if (wanted !== mode) await chmod(open.absolute, wanted);
}

async function setBasic(open: Open, info: Extract<SetFileInfo, { kind: 'basic' }>): Promise<void> {
  requireAccess(open.grantedAccess, Access.FILE_WRITE_ATTRIBUTES);
  await setReadOnly(open, info.attributes);
  const changeAccess = !UNCHANGED_TIMES.includes(info.lastAccessTime);
  const changeWrite = !UNCHANGED_TIMES.includes(info.lastWriteTime);
  if (!changeAccess && !changeWrite) return;
  const st = await stat(open.absolute);
  const atime = changeAccess ? msFromFileTime(info.lastAccessTime) / 1000 : st.atimeMs / 1000;
  const mtime = changeWrite ? msFromFileTime(info.lastWriteTime) / 1000 : st.mtimeMs / 1000;
  await utimes(open.absolute, atime, mtime);
}

function under(parent: string, p: string): boolean {
  return p.startsWith(parent + '/');
}

/** Opens below a directory keep their path valid only if it is not renamed away under them, [MS-FSA] 2.1.5.15.11. */
function movePaths(ctx: RequestContext, from: { absolute: string; relative: string }, to: { absolute: string; relative: string }): void {
  for (const o of ctx.core.allOpens()) {
    if (o.absolute === from.absolute) {
      o.absolute = to.absolute;
      o.relative = to.relative;
    } else if (under(from.absolute, o.absolute)) {
      o.absolute = to.absolute + o.absolute.slice(from.absolute.length);
      o.relative = to.relative + o.relative.slice(from.relative.length);
    }
  }
}

/** Parent opens with only attribute/synchronize access never block a child rename. */
const PARENT_ACCESS_THAT_SHARES = Access.FILE_READ_DATA | Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA | Access.FILE_EXECUTE | Access.DELETE;

/**
 * Another open of the parent directory that may delete, or that does not share delete,
 * blocks renaming a child (as Windows and Samba answer smbtorture smb2.rename).
 */
function checkParentSharing(ctx: RequestContext, open: Open): void {
  const parent = path.dirname(open.absolute);
  for (const o of ctx.core.allOpens()) {
    if (o === open || !o.isDirectory || o.absolute !== parent || !(o.grantedAccess & PARENT_ACCESS_THAT_SHARES)) continue;
    if (o.grantedAccess & Access.DELETE || !(o.shareAccess & ShareAccess.DELETE)) throw new SmbStatusError(Status.SHARING_VIOLATION);
  }
}

async function setRename(ctx: RequestContext, open: Open, info: Extract<SetFileInfo, { kind: 'rename' }>): Promise<void> {
  requireAccess(open.grantedAccess, Access.DELETE);
  checkParentSharing(ctx, open);
  if (open.isDirectory && [...ctx.core.allOpens()].some((o) => under(open.absolute, o.absolute))) {
    throw new SmbStatusError(Status.ACCESS_DENIED, 'directory has open files');
  }
  const target = await open.tree.root!.resolve(info.fileName);
  if (target.relative === '' || open.relative === '') throw new SmbStatusError(Status.ACCESS_DENIED);
  const exists = await stat(target.absolute).then(() => true, () => false);
  if (exists && target.absolute !== open.absolute) {
    if (!info.replaceIfExists) throw new SmbStatusError(Status.OBJECT_NAME_COLLISION);
    if ((await stat(target.absolute)).isDirectory()) throw new SmbStatusError(Status.ACCESS_DENIED);
  }
  await rename(open.absolute, target.absolute);
  movePaths(ctx, { absolute: open.absolute, relative: open.relative }, target);
}

async function setDeletePending(open: Open, pending: boolean): Promise<void> {
  if (pending) {
    requireAccess(open.grantedAccess, Access.DELETE);
    if (open.relative === '') throw new SmbStatusError(Status.CANNOT_DELETE);
    if (open.isDirectory && (await readdir(open.absolute)).length > 0) throw new SmbStatusError(Status.DIRECTORY_NOT_EMPTY);
  }
  open.deleteOnClose = pending;
}

async function applyFileInfo(ctx: RequestContext, open: Open, info: SetFileInfo): Promise<void> {
  switch (info.kind) {
    case 'basic':
      return setBasic(open, info);
    case 'rename':
      return setRename(ctx, open, info);
    case 'disposition':
      return setDeletePending(open, info.deletePending);
    case 'disposition-ex':
      return setDeletePending(open, (info.flags & DISPOSITION_EX_DELETE) !== 0);
    case 'end-of-file':
      if (!open.io) throw new SmbStatusError(Status.INVALID_PARAMETER);
      requireAccess(open.grantedAccess, Access.FILE_WRITE_DATA);
      return open.io.setSize(info.size);
    case 'allocation':
      requireAccess(open.grantedAccess, Access.FILE_WRITE_DATA);
      if (open.io && info.size < open.io.size()) await open.io.setSize(info.size);
      return;
    case 'position':
      open.position = info.offset;
      return;
    case 'mode':
      return;
  }
}

/** SET_INFO, [MS-SMB2] 3.3.5.21: basic times, rename, delete disposition and sizes. */
export async function setInfo(ctx: RequestContext): Promise<HandlerResult> {
  const req = decodeSetInfoRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  if (open.tree.readOnly) return { status: Status.ACCESS_DENIED };
  if (req.infoType === InfoType.SECURITY) return { status: Status.SUCCESS, body: encodeSetInfoResponse() };
  if (req.infoType !== InfoType.FILE) return { status: Status.NOT_SUPPORTED };
  const info = decodeSetFileInfo(req.infoClass, req.buffer);
  try {
    await applyFileInfo(ctx, open, info);
  } catch (err) {
    throw fsFailure(err);
  }
  return { status: Status.SUCCESS, body: encodeSetInfoResponse() };
}
