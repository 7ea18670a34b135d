import { decodeLockRequest, encodeLockResponse } from '../../smb2/commands/lock.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import { findOpen } from '../open-files.js';

/** LOCK, [MS-SMB2] 3.3.5.14: byte-range locks held in the server's lock table. */
export async function lock(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeLockRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  if (open.isDirectory) return { status: Status.INVALID_PARAMETER };
  ctx.core.locks.apply(open.fileKey, open, req.locks);
  return { status: Status.SUCCESS, body: encodeLockResponse() };
}
