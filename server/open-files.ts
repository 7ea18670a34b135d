import { endCursor } from './directory-cursor.js';
import { RELATED_FILE_ID } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import type { FileId } from '../smb2/commands/create.js';
import type { RequestContext } from './handler.js';
import type { ConnectionState, Open } from './state.js';
import type { ServerCore } from './server-core.js';
import { fileKeyOf, type HostStats } from './host-fs.js';
import type { ShareRoot } from './share-root.js';
import { closeHeld, statHeld } from './create-file.js';

/** The Open a request names, [MS-SMB2] 3.3.5.2.7.2 for the related-compound FileId. */
export function findOpen(ctx: RequestContext, fileId: FileId): Open {
  let id = fileId;
  if (fileId.persistent === RELATED_FILE_ID && fileId.volatile === RELATED_FILE_ID) {
    if (!ctx.chain.fileId) throw new SmbStatusError(ctx.chain.failure ?? Status.INVALID_PARAMETER);
    id = ctx.chain.fileId;
  }
  const open = ctx.conn.opens.get(id.volatile);
  if (!open || open.fileId.persistent !== id.persistent || open.session !== ctx.session) throw new SmbStatusError(Status.FILE_CLOSED);
  if (ctx.tree && open.tree !== ctx.tree) throw new SmbStatusError(Status.FILE_CLOSED);
  ctx.chain.fileId = open.fileId;
  open.users = (open.users ?? 0) + 1;
  (ctx.usedOpens ??= []).push(open);
  return open;
}

/**
 * The request is final: the opens it found are no longer used by it, and an open closed
 * meanwhile closes its descriptor once nobody uses it. Until then the number stays ours, so a
 * thread-pool job of that request can never act on a file another open got the number for.
 */
export function releaseOpens(ctx: RequestContext): void {
  const used = ctx.usedOpens;
  if (!used) return;
  ctx.usedOpens = undefined;
  for (const open of used) {
    open.users = (open.users ?? 1) - 1;
    if (open.users > 0 || !open.afterUse) continue;
    const close = open.afterUse;
    open.afterUse = undefined;
    close();
  }
}

/** Close an open's descriptor now, or after the requests still using the open are final. */
function closeDescriptor(open: Open, close: () => void): void {
  if ((open.users ?? 0) > 0) open.afterUse = close;
  else close();
}

/** The descriptor of a file or directory open (pipes have none). */
export function descriptorOf(open: Open): number {
  if (open.fd === undefined) throw new SmbStatusError(Status.INVALID_DEVICE_REQUEST);
  return open.fd;
}

/** A place for one more open, taken before a CREATE's first await so pipelined CREATEs cannot overshoot the limit. */
export interface OpenSlot {
  release(): void;
}

const pendingCreates = new WeakMap<ConnectionState, number>();

export function reserveOpenSlot(conn: ConnectionState, limit: number): OpenSlot | null {
  const pending = pendingCreates.get(conn) ?? 0;
  if (conn.opens.size + pending >= limit) return null;
  pendingCreates.set(conn, pending + 1);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      pendingCreates.set(conn, (pendingCreates.get(conn) ?? 1) - 1);
    },
  };
}

/** Register a new open; the slot it was reserved with becomes the open itself. */
export function registerOpen(core: ServerCore, conn: ConnectionState, open: Omit<Open, 'fileId'>, slot?: OpenSlot): Open {
  const volatile = conn.allocateFileId();
  // FileId.Persistent is unique server-wide and survives a durable reconnect ([MS-SMB2] 3.3.1.10 DurableFileId).
  const full: Open = { ...open, fileId: { persistent: core.allocatePersistentId(), volatile } };
  conn.opens.set(volatile, full);
  slot?.release();
  core.openFiles.opened(full.fileKey);
  core.telemetry.fileOpened();
  return full;
}

/**
 * Delete-on-close of the last open: unlinkat in the parent directory (resolved beneath the
 * share root) only if the name still names the file this open had, never by a saved path.
 */
async function removeIfSame(root: ShareRoot, open: Open): Promise<void> {
  const parts = open.relative.split('/');
  const c = root.fs.constants;
  await root.inParent(parts, async (dirfd, leaf) => {
    const now = await root.fs.statAt(dirfd, leaf, c.AT_SYMLINK_NOFOLLOW);
    if (fileKeyOf(now) !== open.fileKey) return;
    await root.fs.unlinkat(dirfd, leaf, open.isDirectory ? c.AT_REMOVEDIR : 0);
  });
}

/**
 * Close an open: release locks, close its data handle, delete the file on its last close if
 * delete-pending, close its descriptor (without waiting for the thread pool). With `postQuery`,
 * returns the file's attributes just before the descriptor closes (null once deleted).
 */
export async function closeOpen(core: ServerCore, conn: ConnectionState, open: Open, postQuery = false): Promise<HostStats | null> {
  if (!conn.opens.delete(open.fileId.volatile)) return null;
  return releaseOpen(core, open, postQuery);
}

/** closeOpen for an open no connection's table holds any more (a disconnected durable open, server/durable/). */
export async function releaseOpen(core: ServerCore, open: Open, postQuery = false): Promise<HostStats | null> {
  core.durable.forget(open);
  core.locks.releaseAll(open.fileKey, open);
  open.releaseShareMode?.();
  if (open.cursor) endCursor(open.cursor);
  core.oplocks.untrack(open);
  core.telemetry.fileClosed();
  const root = open.tree.root;
  let fd = open.fd;
  if (fd !== undefined && !postQuery && (open.io || open.isDirectory)) {
    // Closed now, before the FileIo's close and the delete on close: a file's FileIo holds its
    // own descriptor until io.close(), and a removed directory is empty.
    const held = fd;
    closeDescriptor(open, () => closeHeld(held, open.isDirectory));
    fd = undefined;
  }
  let deleted = false;
  try {
    await open.io?.close();
  } finally {
    const deleteNow = core.openFiles.closed(open.fileKey, open.deleteOnClose);
    if (deleteNow && root && open.relative !== '') {
      deleted = true;
      await removeIfSame(root, open).catch((err) => core.log.debug({ err: (err as Error).message, name: open.relative }, 'delete on close failed'));
    }
  }
  core.changeNotify.closed(open, core.openFiles.isDeletePending(open.fileKey));
  const stats = postQuery && !deleted && root && fd !== undefined ? statHeldOrNull(fd) : null;
  if (fd === undefined) return stats;
  const held = fd;
  closeDescriptor(open, () => closeHeld(held, open.isDirectory));
  return stats;
}

function statHeldOrNull(fd: number): HostStats | null {
  try {
    return statHeld(fd);
  } catch {
    return null;
  }
}
