import { LockFlag } from '../../smb2/constants.js';
import { decodeLockRequest, encodeLockResponse, type LockRequest } from '../../smb2/commands/lock.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import type { GoAsync, HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import { findOpen } from '../open-files.js';
import { breakForLock } from '../oplocks/hooks.js';

function notGranted(err: unknown): boolean {
  return err instanceof SmbStatusError && err.status === Status.LOCK_NOT_GRANTED;
}

/** A single lock without SMB2_LOCKFLAG_FAIL_IMMEDIATELY waits for the range, [MS-SMB2] 3.3.5.14.2. */
function blocking(req: LockRequest): boolean {
  return req.locks.length === 1 && (req.locks[0].flags & (LockFlag.FAIL_IMMEDIATELY | LockFlag.UNLOCK)) === 0;
}

/** Try again each time a lock of the file is released, until granted, cancelled (CANCEL or connection lost) or its own open closes. */
async function waitForLock(ctx: TreeContext, open: Open, req: LockRequest): Promise<HandlerResult> {
  const cancelled = new Promise<void>((resolve) => ctx.cancelled.addEventListener('abort', () => resolve(), { once: true }));
  for (;;) {
    if (ctx.cancelled.aborted) return { status: Status.CANCELLED };
    await Promise.race([ctx.core.locks.changed(open.fileKey), cancelled]);
    if (ctx.cancelled.aborted) return { status: Status.CANCELLED };
    // Its own open closed: Windows answers RANGE_NOT_LOCKED (smbtorture smb2.lock.cancel checks it).
    if (ctx.conn.opens.get(open.fileId.volatile) !== open) return { status: Status.RANGE_NOT_LOCKED };
    try {
      ctx.core.locks.apply(open.fileKey, open, req.locks);
      return { status: Status.SUCCESS, body: encodeLockResponse() };
    } catch (err) {
      if (!notGranted(err)) return { status: err instanceof SmbStatusError ? err.status : Status.INTERNAL_ERROR };
    }
  }
}

/** LOCK, [MS-SMB2] 3.3.5.14: byte-range locks held in the server's lock table; a blocking lock goes async. */
export async function lock(ctx: TreeContext): Promise<HandlerResult | GoAsync> {
  const req = decodeLockRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  if (open.isDirectory) return { status: Status.INVALID_PARAMETER };
  breakForLock(ctx, open, req.locks);
  try {
    ctx.core.locks.apply(open.fileKey, open, req.locks);
  } catch (err) {
    if (!blocking(req) || !ctx.mayGoAsync || !notGranted(err)) throw err;
    return { final: waitForLock(ctx, open, req) };
  }
  return { status: Status.SUCCESS, body: encodeLockResponse() };
}
