import { fchmod as fchmodCb, futimes as futimesCb } from 'node:fs';
import { chmod, utimes } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Access, InfoType, ShareAccess } from '../../smb2/constants.js';
import { decodeSetInfoRequest, encodeSetInfoResponse } from '../../smb2/commands/set-info.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import { FileAttribute, decodeSetFileInfo, msFromFileTime, type SetFileInfo } from '../../smb2/info/index.js';
import { DispositionExFlag } from '../../smb2/info/classes.js';
import { OWNER_WRITE } from '../../smb2/info/from-stats.js';
import type { GoAsync, HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import { descriptorOf, findOpen } from '../open-files.js';
import { requireAccess } from '../access.js';
import { fileKeyOf } from '../host-fs.js';
import { writeEas } from '../extended-attributes.js';
import { applySecurityDescriptor, checkSetSecurityAccess } from '../security-mode.js';
import { decodeSecurityDescriptor } from '../../smb2/info/security-decode.js';
import { errnoCode, hostFailure, splitSharePath, type ShareRoot } from '../share-root.js';
import { onDescriptor } from '../descriptor-fallback.js';
import { setInfoBreaks } from '../oplocks/hooks.js';
import { afterBreaks } from '../oplocks/wait.js';

const fchmod = promisify(fchmodCb);
const futimes = promisify(futimesCb);

const UNCHANGED_TIMES = [0n, 0xffffffffffffffffn];

/** Every write permission bit: READONLY takes them all away, as `chmod a-w` does. */
const ANY_WRITE = 0o222;

/**
 * FileAttributes 0 means "unchanged" ([MS-FSCC] 2.4.7). Only READONLY is stored, in the mode
 * bits (see fileRecordFromStats); directories ignore it, as Windows does. The mode is written
 * even when it stays the same: setting attributes is an attribute change, and the chmod is what
 * tells CHANGE_NOTIFY watchers (inotify IN_ATTRIB; smbtorture smb2.notify.basedir sets HIDDEN,
 * which the mode bits do not hold).
 */
async function setReadOnly(open: Open, attributes: number): Promise<void> {
  if (attributes === 0 || open.isDirectory) return;
  const fd = descriptorOf(open);
  const mode = Number((await open.tree.root!.stat(fd)).mode) & 0o7777;
  const wanted = attributes & FileAttribute.READONLY ? mode & ~ANY_WRITE : mode | OWNER_WRITE;
  await onDescriptor(fd, (d) => fchmod(d, wanted), (p) => chmod(p, wanted));
}

/**
 * [MS-FSA] 2.1.5.14.2: a directory cannot be made temporary, nor a file a directory.
 */
function checkBasicAttributes(open: Open, attributes: number): void {
  if (open.isDirectory && attributes & FileAttribute.TEMPORARY) throw new SmbStatusError(Status.INVALID_PARAMETER, 'a directory cannot be temporary');
  if (!open.isDirectory && attributes & FileAttribute.DIRECTORY) throw new SmbStatusError(Status.INVALID_PARAMETER, 'a file cannot be made a directory');
}

async function setBasic(open: Open, info: Extract<SetFileInfo, { kind: 'basic' }>): Promise<void> {
  requireAccess(open.grantedAccess, Access.FILE_WRITE_ATTRIBUTES);
  checkBasicAttributes(open, info.attributes);
  await setReadOnly(open, info.attributes);
  const changeAccess = !UNCHANGED_TIMES.includes(info.lastAccessTime);
  const changeWrite = !UNCHANGED_TIMES.includes(info.lastWriteTime);
  if (!changeAccess && !changeWrite) return;
  const fd = descriptorOf(open);
  const st = await open.tree.root!.stat(fd);
  const atime = changeAccess ? msFromFileTime(info.lastAccessTime) / 1000 : Number(st.atimeNs) / 1e9;
  const mtime = changeWrite ? msFromFileTime(info.lastWriteTime) / 1000 : Number(st.mtimeNs) / 1e9;
  await onDescriptor(fd, (d) => futimes(d, atime, mtime), (p) => utimes(p, atime, mtime));
}

function under(parent: string, p: string): boolean {
  return parent === '' ? p !== '' : p.startsWith(parent + '/');
}

function parentOf(relative: string): string {
  const slash = relative.lastIndexOf('/');
  return slash < 0 ? '' : relative.slice(0, slash);
}

/** Opens below a renamed directory keep their names in step, [MS-FSA] 2.1.5.15.11. */
function movePaths(ctx: TreeContext, open: Open, from: string, to: string): void {
  for (const o of ctx.core.allOpens()) {
    if (o.tree.root !== open.tree.root) continue;
    if (o.relative === from) o.relative = to;
    else if (under(from, o.relative)) o.relative = to + o.relative.slice(from.length);
  }
}

/** Parent opens with only attribute/synchronize access never block a child rename. */
const PARENT_ACCESS_THAT_SHARES = Access.FILE_READ_DATA | Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA | Access.FILE_EXECUTE | Access.DELETE;

/**
 * Another open of the parent directory that may delete, or that does not share delete,
 * blocks renaming a child file (as Windows and Samba answer smbtorture smb2.rename). A child
 * directory is renamed under a watching parent handle (smb2.notify-inotify.inotify-rename, which
 * Samba passes); open files beneath it are checked by the caller.
 */
function checkParentSharing(ctx: TreeContext, open: Open): void {
  if (open.isDirectory) return;
  const parent = parentOf(open.relative);
  for (const o of ctx.core.allOpens()) {
    if (o === open || !o.isDirectory || o.tree.root !== open.tree.root || o.relative !== parent || !(o.grantedAccess & PARENT_ACCESS_THAT_SHARES)) continue;
    if (o.grantedAccess & Access.DELETE || !(o.shareAccess & ShareAccess.DELETE)) throw new SmbStatusError(Status.SHARING_VIOLATION);
  }
}

/**
 * renameat2 between the two parent directories (each resolved beneath the share root), after
 * checking that the source name still names this open's file. Without ReplaceIfExists it is
 * RENAME_NOREPLACE, so a name that appears meanwhile is not overwritten.
 */
async function renameBeneath(root: ShareRoot, open: Open, to: string[], replace: boolean): Promise<void> {
  const c = root.fs.constants;
  await root.inParent(open.relative.split('/'), (fromDir, fromLeaf) =>
    root.inParent(to, async (toDir, toLeaf) => {
      const source = await root.fs.statAt(fromDir, fromLeaf, c.AT_SYMLINK_NOFOLLOW);
      if (fileKeyOf(source) !== open.fileKey) throw new SmbStatusError(Status.OBJECT_NAME_NOT_FOUND, 'the name no longer names the open file');
      const existing = await root.fs.statAt(toDir, toLeaf, c.AT_SYMLINK_NOFOLLOW).catch(() => null);
      if (existing && fileKeyOf(existing) !== open.fileKey) {
        if (!replace) throw new SmbStatusError(Status.OBJECT_NAME_COLLISION);
        if ((Number(existing.mode) & 0o170000) === 0o040000) throw new SmbStatusError(Status.ACCESS_DENIED);
      }
      const flags = replace || existing ? 0 : c.RENAME_NOREPLACE;
      await root.fs.renameat2(fromDir, fromLeaf, toDir, toLeaf, flags).catch((err) => {
        throw errnoCode(err) === 'EEXIST' ? new SmbStatusError(Status.OBJECT_NAME_COLLISION) : hostFailure(err);
      });
    }),
  );
}

async function setRename(ctx: TreeContext, open: Open, info: Extract<SetFileInfo, { kind: 'rename' }>): Promise<void> {
  requireAccess(open.grantedAccess, Access.DELETE);
  checkParentSharing(ctx, open);
  if (open.isDirectory && [...ctx.core.allOpens()].some((o) => o.tree.root === open.tree.root && under(open.relative, o.relative))) {
    throw new SmbStatusError(Status.ACCESS_DENIED, 'directory has open files');
  }
  const to = splitSharePath(info.fileName);
  if (to.length === 0 || open.relative === '') throw new SmbStatusError(Status.ACCESS_DENIED);
  await renameBeneath(open.tree.root!, open, to, info.replaceIfExists);
  movePaths(ctx, open, open.relative, to.join('/'));
}

/** Whether the open directory has any entry, read beneath its own descriptor. */
async function hasEntries(open: Open): Promise<boolean> {
  const batch = await open.tree.root!.fs.readDirectoryAt(descriptorOf(open), 0n, 1);
  return batch.records.length > 0;
}

async function setDeletePending(open: Open, pending: boolean): Promise<void> {
  if (pending) {
    requireAccess(open.grantedAccess, Access.DELETE);
    if (open.relative === '') throw new SmbStatusError(Status.CANNOT_DELETE);
    if (open.isDirectory && (await hasEntries(open))) throw new SmbStatusError(Status.DIRECTORY_NOT_EMPTY);
  }
  open.deleteOnClose = pending;
}

async function applyFileInfo(ctx: TreeContext, open: Open, info: SetFileInfo): Promise<void> {
  switch (info.kind) {
    case 'basic':
      return setBasic(open, info);
    case 'rename':
      return setRename(ctx, open, info);
    case 'disposition':
      return setDeletePending(open, info.deletePending);
    case 'disposition-ex':
      return setDeletePending(open, (info.flags & DispositionExFlag.FILE_DISPOSITION_DELETE) !== 0);
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
    case 'eas':
      requireAccess(open.grantedAccess, Access.FILE_WRITE_EA);
      return writeEas(open.tree.root!.fs, descriptorOf(open), info.eas);
  }
}

/** SMB2_0_INFO_SECURITY, [MS-SMB2] 3.3.5.21.3: owner, group and DACL onto the file's owner and mode bits. */
async function setSecurity(open: Open, additionalInformation: number, buffer: Buffer): Promise<void> {
  checkSetSecurityAccess(open.grantedAccess, additionalInformation);
  const sd = decodeSecurityDescriptor(buffer);
  const fd = descriptorOf(open);
  await applySecurityDescriptor(fd, await open.tree.root!.stat(fd), sd, additionalInformation);
}

/** SET_INFO, [MS-SMB2] 3.3.5.21: basic times, rename, delete disposition and sizes. */
export async function setInfo(ctx: TreeContext): Promise<HandlerResult | GoAsync> {
  const req = decodeSetInfoRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  if (open.tree.readOnly) return { status: Status.ACCESS_DENIED };
  if (req.infoType === InfoType.SECURITY) {
    await setSecurity(open, req.additionalInformation, req.buffer);
    return { status: Status.SUCCESS, body: encodeSetInfoResponse() };
  }
  if (req.infoType !== InfoType.FILE) return { status: Status.NOT_SUPPORTED };
  const info = decodeSetFileInfo(req.infoClass, req.buffer);
  return afterBreaks(ctx, setInfoBreaks(ctx, open, info), () => applyAndAnswer(ctx, open, info));
}

async function applyAndAnswer(ctx: TreeContext, open: Open, info: SetFileInfo): Promise<HandlerResult> {
  try {
    await applyFileInfo(ctx, open, info);
  } catch (err) {
    throw hostFailure(err);
  }
  if (info.kind === 'disposition' || info.kind === 'disposition-ex') ctx.core.openFiles.setDeletePending(open.fileKey, open.deleteOnClose);
  return { status: Status.SUCCESS, body: encodeSetInfoResponse() };
}
