import type { ConnectionState, Session } from './state.js';
import type { ServerCore } from './server-core.js';
import { closeOpen } from './open-files.js';

/**
 * A session ends without a LOGOFF of its own: its opens close (their waiting CHANGE_NOTIFYs get
 * STATUS_NOTIFY_CLEANUP) and the connection forgets it, so later requests on it get
 * USER_SESSION_DELETED. Used when a client reconnects with PreviousSessionId ([MS-SMB2]
 * 3.3.5.5.3) and when a re-authentication fails.
 */
export async function endSession(core: ServerCore, conn: ConnectionState, session: Session): Promise<void> {
  if (conn.sessions.get(session.id) !== session) return;
  conn.sessions.delete(session.id);
  for (const open of [...conn.opens.values()]) if (open.session === session) await closeOpen(core, conn, open);
  if (session.state === 'valid') core.telemetry.sessionClosed();
}

/**
 * PreviousSessionId of a SESSION_SETUP that established `fresh`, [MS-SMB2] 3.3.5.5.3: the old
 * session of the same user, on any connection, ends.
 */
export async function endPreviousSession(core: ServerCore, fresh: Session, previousSessionId: bigint): Promise<void> {
  if (previousSessionId === 0n || previousSessionId === fresh.id || fresh.guest || fresh.anonymous) return;
  for (const conn of core.connections) {
    const old = conn.sessions.get(previousSessionId);
    if (!old || old.state !== 'valid') continue;
    if (old.user.toLowerCase() !== fresh.user.toLowerCase() || old.domain.toLowerCase() !== fresh.domain.toLowerCase()) return;
    await endSession(core, conn, old);
    return;
  }
}
