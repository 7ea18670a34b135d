import { encodeLogoffResponse } from '../../smb2/commands/logoff.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, SessionContext } from '../handler.js';
import { endSession } from '../durable/disconnect.js';

/** LOGOFF, [MS-SMB2] 3.3.5.6: closes the session's opens (durable ones are kept for a reconnect) and forgets it. */
export async function logoff(ctx: SessionContext): Promise<HandlerResult> {
  await endSession(ctx.core, ctx.conn, ctx.session);
  return { status: Status.SUCCESS, body: encodeLogoffResponse() };
}
