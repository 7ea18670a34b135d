import { Dialect } from '../../smb2/constants.js';
import { decodeOplockBreakRequest, encodeLeaseBreakResponse, encodeOplockBreak } from '../../smb2/commands/oplock-break.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import { findOpen } from '../open-files.js';
import { clientGuidOf } from '../oplocks/create-oplocks.js';

/** OPLOCK_BREAK: an oplock break acknowledgment ([MS-SMB2] 3.3.5.22.1) or a lease break acknowledgment (3.3.5.22.2). */
export async function oplockBreak(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeOplockBreakRequest(ctx.reader);
  if (req.kind === 'oplock') {
    const open = findOpen(ctx, req.fileId);
    const { status, level } = ctx.core.oplocks.acknowledgeOplock(open, req.oplockLevel);
    return status === Status.SUCCESS ? { status, body: encodeOplockBreak(level, open.fileId) } : { status };
  }
  if (ctx.conn.dialect < Dialect.SMB2_1) return { status: Status.INVALID_PARAMETER };
  const status = ctx.core.oplocks.acknowledgeLease(clientGuidOf(ctx.conn), req.leaseKey, req.leaseState);
  return status === Status.SUCCESS ? { status, body: encodeLeaseBreakResponse(req.leaseKey, req.leaseState) } : { status };
}
