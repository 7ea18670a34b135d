import { encodeLogoffResponse } from '../../smb2/commands/logoff.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, SessionContext } from '../handler.js';
import { closeOpen } from '../open-files.js';

/** LOGOFF, [MS-SMB2] 3.3.5.6: closes the session's opens and forgets it. */
export async function logoff(ctx: SessionContext): Promise<HandlerResult> {
  const session = ctx.session;
  for (const open of [...ctx.conn.opens.values()]) if (open.session === session) await closeOpen(ctx.core, ctx.conn, open);
  ctx.conn.sessions.delete(session.id);
  ctx.core.telemetry.sessionClosed();
  return { status: Status.SUCCESS, body: encodeLogoffResponse() };
}
