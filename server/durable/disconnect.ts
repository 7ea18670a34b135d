import type { ServerCore } from '../server-core.js';
import type { ConnectionState, Open, Session } from '../state.js';
import { closeOpen, releaseOpen } from '../open-files.js';
import { durableOwnerOf } from './types.js';
import { LeaseState, OplockLevel } from '../../smb2/commands/oplock-break.js';

/**
 * Whether the open still caches its handle (Batch oplock, or a lease with H): only then can a
 * conflicting open reach it with a break, which ends it. One broken to less since the grant is
 * closed like any other (as Samba does), so its share mode cannot block others for its timeout.
 */
function stillCachesHandle(open: Open): boolean {
  const o = open.oplock;
  if (!o) return false;
  if (o.lease) return (o.lease.state & LeaseState.HANDLE) !== 0;
  return o.level === OplockLevel.BATCH;
}

function close(core: ServerCore): (open: Open) => Promise<void> {
  return async (open) => {
    await releaseOpen(core, open);
  };
}

/**
 * Keep `open` for a reconnect instead of closing it ([MS-SMB2] 3.3.7.1 connection loss, 3.3.5.6
 * LOGOFF): it leaves the connection's table and its durable-open timer starts. False when it is
 * not durable or may not be kept: delete-on-close (closing it deletes the file, as smbtorture's
 * durable-open delete_on_close1 expects), a break of its oplock or lease is waiting for an
 * acknowledgment the client can no longer send (closing it lets the opener waiting on it go on),
 * or its handle caching is gone.
 */
function preserve(core: ServerCore, conn: ConnectionState, open: Open): boolean {
  if (!open.durable || conn.opens.get(open.fileId.volatile) !== open) return false;
  if (open.oplock?.breaking || open.oplock?.lease?.breaking || !stillCachesHandle(open)) return false;
  const deletePending = open.deleteOnClose || core.openFiles.isDeletePending(open.fileKey);
  if (!core.durable.preserve(open, deletePending, close(core), (message) => forwardLeaseBreak(core, open, message))) return false;
  conn.opens.delete(open.fileId.volatile);
  core.log.debug({ persistent: open.fileId.persistent.toString(16), name: open.relative, ms: open.durable.timeoutMs }, 'durable open kept for a reconnect');
  return true;
}

/**
 * A lease break sent to a kept open (the table picks the client's oldest open of the file) goes
 * on to a connected open holding the same lease, if there is one: its client acknowledges it.
 */
function forwardLeaseBreak(core: ServerCore, kept: Open, message: Buffer): void {
  const lease = kept.oplock?.lease;
  if (!lease) return;
  for (const o of core.oplocks.opensOf(kept.fileKey)) {
    if (o !== kept && !o.durable?.disconnected && o.oplock?.lease === lease) return o.oplock.notify(message);
  }
}

/** The connection is gone: its durable opens are kept (synchronously, before any reconnect can look for them). */
export function preserveDurableOpens(core: ServerCore, conn: ConnectionState): void {
  for (const open of [...conn.opens.values()]) preserve(core, conn, open);
}

/** An open whose session ends: kept when durable, else closed. */
export async function closeOrPreserve(core: ServerCore, conn: ConnectionState, open: Open): Promise<void> {
  if (!preserve(core, conn, open)) await closeOpen(core, conn, open);
}

/**
 * LOGOFF semantics, [MS-SMB2] 3.3.5.6: the session's durable opens are kept, the others closed
 * (their waiting CHANGE_NOTIFYs get STATUS_NOTIFY_CLEANUP), the session forgotten, so later
 * requests on it get USER_SESSION_DELETED. Also for a PreviousSessionId (3.3.5.5.3) and a failed
 * re-authentication.
 */
export async function endSession(core: ServerCore, conn: ConnectionState, session: Session): Promise<void> {
  if (conn.sessions.get(session.id) !== session) return;
  conn.sessions.delete(session.id);
  for (const open of [...conn.opens.values()]) if (open.session === session) await closeOrPreserve(core, conn, open);
  if (session.state === 'valid') core.telemetry.sessionClosed();
}

/**
 * SESSION_SETUP with PreviousSessionId ([MS-SMB2] 3.3.5.5.3): the same user's earlier session,
 * on whatever connection it lives, ends as with LOGOFF, so its durable opens can be reclaimed
 * on the new session; requests still sent on it get USER_SESSION_DELETED.
 */
export async function endPreviousSession(core: ServerCore, previousId: bigint, session: Session): Promise<void> {
  if (previousId === 0n || previousId === session.id || session.anonymous || session.guest) return;
  for (const conn of core.connections) {
    const old = conn.sessions.get(previousId);
    if (!old || old.state !== 'valid' || durableOwnerOf(old) !== durableOwnerOf(session)) continue;
    await endSession(core, conn, old);
    return;
  }
}

/** Server shutdown: every kept durable open is closed. */
export function closeDisconnectedDurableOpens(core: ServerCore): Promise<void> {
  return core.durable.closeAll(close(core));
}
