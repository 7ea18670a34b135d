import { Access } from '../../smb2/constants.js';
import { decodeFlushRequest, encodeFlushResponse } from '../../smb2/commands/flush.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import { findOpen } from '../open-files.js';
import { requireAccess } from '../access.js';

/** FLUSH, [MS-SMB2] 3.3.5.11: everything written through the page cache reaches the disk. */
export async function flush(ctx: TreeContext): Promise<HandlerResult> {
  const open = findOpen(ctx, decodeFlushRequest(ctx.reader).fileId);
  requireAccess(open.grantedAccess, Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA);
  await open.io?.flush();
  return { status: Status.SUCCESS, body: encodeFlushResponse() };
}
