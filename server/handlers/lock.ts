import { Capability, Dialect, LockFlag } from '../../smb2/constants.js';
import { decodeLockRequest, encodeLockResponse, type LockElement, type LockRequest } from '../../smb2/commands/lock.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import type { GoAsync, HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import type { OpenLocks } from '../lock-table.js';
import { pipeOf } from '../pipes/pipe-smb.js';
import { findOpen } from '../open-files.js';
import { breakForLock } from '../oplocks/hooks.js';

const SUCCESS: HandlerResult = { status: Status.SUCCESS, body: encodeLockResponse() };

/** The flag combinations a lock element may carry, [MS-SMB2] 2.2.26.1. */
const LOCK_FLAGS: readonly number[] = [
  LockFlag.SHARED,
  LockFlag.EXCLUSIVE,
  LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY,
  LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY,
];

function notGranted(err: unknown): boolean {
  return err instanceof SmbStatusError && err.status === Status.LOCK_NOT_GRANTED;
}

/**
 * A lock request's elements are valid flags, and with more than one element every one fails
 * immediately: Windows refuses a multi-element blocking request ([MS-SMB2] 3.3.5.14.2 and its
 * note), so only a single lock ever waits. UNLOCK mixed in is refused before anything is locked.
 */
function validLocks(locks: readonly LockElement[]): boolean {
  return locks.every((e) => LOCK_FLAGS.includes(e.flags) && (locks.length === 1 || (e.flags & LockFlag.FAIL_IMMEDIATELY) !== 0));
}

/**
 * The LockSequenceArray bucket a request names, when the server verifies lock sequences
 * ([MS-SMB2] 3.3.5.14): on SMB 3.x for a durable open (Open.IsDurable), and for every open when
 * the server offers SMB2_GLOBAL_CAP_MULTI_CHANNEL (resilient handles would add theirs once they
 * exist). 0 = no verification.
 */
function sequenceBucket(ctx: TreeContext, open: Open, lockSequence: number): number {
  if (ctx.conn.dialect < Dialect.SMB3_0) return 0;
  const caps = ctx.conn.negotiated?.serverCapabilities ?? 0;
  if ((caps & Capability.MULTI_CHANNEL) === 0 && open.durable === undefined) return 0;
  return lockSequence >>> 4;
}

/** Try again each time a lock of the file is released, until granted, cancelled (CANCEL or connection lost) or its own open closes. */
async function waitForLock(ctx: TreeContext, open: Open, locks: OpenLocks, req: LockRequest, bucket: number): Promise<HandlerResult> {
  for (;;) {
    await ctx.core.locks.changed(locks, ctx.cancelled);
    if (ctx.cancelled.aborted) return { status: Status.CANCELLED };
    // Its own open closed: Windows answers RANGE_NOT_LOCKED (smbtorture smb2.lock.cancel checks it).
    if (ctx.conn.opens.get(open.fileId.volatile) !== open) return { status: Status.RANGE_NOT_LOCKED };
    try {
      ctx.core.locks.lock(open, locks, req.locks);
      ctx.core.locks.setSequence(locks, bucket, req.lockSequence & 0xf);
      return SUCCESS;
    } catch (err) {
      if (!notGranted(err)) return { status: err instanceof SmbStatusError ? err.status : Status.INTERNAL_ERROR };
    }
  }
}

/**
 * LOCK, [MS-SMB2] 3.3.5.14: byte-range locks in the server's lock table. The first element
 * says whether the request unlocks (3.3.5.14.1: in order, no rollback) or locks (3.3.5.14.2:
 * all or none); a single blocking lock that conflicts goes async until the range frees.
 */
export async function lock(ctx: TreeContext): Promise<HandlerResult | GoAsync> {
  const req = decodeLockRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  if (pipeOf(open)) return { status: Status.INVALID_DEVICE_REQUEST }; // a named pipe has no byte ranges
  if (open.isDirectory || req.locks.length === 0) return { status: Status.INVALID_PARAMETER };
  const table = ctx.core.locks;
  const locks = table.of(open, ctx.conn);
  const bucket = sequenceBucket(ctx, open, req.lockSequence);
  const sequence = req.lockSequence & 0xf;
  if (bucket) {
    if (table.sequence(locks, bucket) === sequence) return SUCCESS; // a replay: already done
    table.setSequence(locks, bucket, undefined);
  }
  if (req.locks[0].flags & LockFlag.UNLOCK) {
    table.unlock(open, locks, req.locks);
  } else {
    if (!validLocks(req.locks)) return { status: Status.INVALID_PARAMETER };
    breakForLock(ctx, open, req.locks);
    try {
      table.lock(open, locks, req.locks);
    } catch (err) {
      const blocking = (req.locks[0].flags & LockFlag.FAIL_IMMEDIATELY) === 0;
      if (!blocking || !ctx.mayGoAsync || !notGranted(err)) throw err;
      return { final: waitForLock(ctx, open, locks, req, bucket) };
    }
  }
  table.setSequence(locks, bucket, sequence);
  return SUCCESS;
}
