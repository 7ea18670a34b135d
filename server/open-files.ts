import { rm, rmdir } from 'node:fs/promises';
import { RELATED_FILE_ID } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import type { FileId } from '../smb2/commands/create.js';
import type { Connection } from './connection.js';
import type { RequestContext } from './handler.js';
import type { Open } from './state.js';

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
  return open;
}

export function registerOpen(conn: Connection, open: Omit<Open, 'fileId'>): Open {
  const volatile = conn.allocateFileId();
  const full: Open = { ...open, fileId: { persistent: volatile, volatile } };
  conn.opens.set(volatile, full);
  conn.core.openFiles.opened(full.fileKey);
  conn.core.telemetry.fileOpened();
  return full;
}

/** Close an open: release locks, close its data handle, and delete the file on its last close if delete-pending. */
export async function closeOpen(conn: Connection, open: Open): Promise<void> {
  if (!conn.opens.delete(open.fileId.volatile)) return;
  conn.core.locks.releaseAll(open.fileKey, open);
  open.releaseShareMode?.();
  conn.core.telemetry.fileClosed();
  try {
    await open.io?.close();
  } finally {
    const deleteNow = conn.core.openFiles.closed(open.fileKey, open.deleteOnClose);
    if (deleteNow && open.relative !== '') {
      if (open.isDirectory) await rmdir(open.absolute).catch(() => {});
      else await rm(open.absolute, { force: true });
    }
  }
}
