import { LeaseState, OplockLevel } from '../../smb2/commands/oplock-break.js';

const R = LeaseState.READ;
const H = LeaseState.HANDLE;
const W = LeaseState.WRITE;

/** What an oplock lets its holder cache, as lease bits ([MS-SMB2] 3.3.4.6 and [MS-FSA] 2.1.4.12). */
export function leaseBitsOfOplock(level: number): number {
  if (level === OplockLevel.BATCH) return R | W | H;
  if (level === OplockLevel.EXCLUSIVE) return R | W;
  if (level === OplockLevel.II) return R;
  return 0;
}

/** Why a holder is being broken. */
export interface BreakCause {
  /** The new open conflicts with the holder's share mode: handle caching must go ([MS-FSA] 2.1.5.1.2). */
  violation: boolean;
  /** The new open overwrites or supersedes the file: nothing cached survives. */
  overwrite: boolean;
}

/** The bits whose presence makes the conflicting open wait for the acknowledgment. */
export function delayMask(cause: BreakCause): number {
  return cause.violation ? H : W;
}

/**
 * The state a holder of `held` is broken to by a conflicting open, [MS-FSA] 2.1.4.12: write
 * caching goes, handle caching instead when share modes conflict, everything on overwrite.
 * Null when nothing needs to go (an Exclusive oplock facing a share-mode conflict is not
 * broken: the open fails). An oplock can only fall to Level II or none.
 */
export function breakTarget(held: number, isLease: boolean, cause: BreakCause): number | null {
  let to = held & ~delayMask(cause);
  if (cause.overwrite) to &= ~(H | R);
  if ((held & ~to) === 0) return null;
  return isLease ? to : to & R;
}

/** A lease break needs an acknowledgment unless only read caching is lost, [MS-SMB2] 3.3.4.7. */
export function leaseAckRequired(state: number): boolean {
  return (state & (W | H)) !== 0;
}

/** The lease states a server grants: R, RH, RW, RWH; H or W without R gets nothing, [MS-SMB2] 3.3.5.9.8. */
export function grantableLeaseState(requested: number): number {
  return requested & R ? requested & (R | H | W) : 0;
}

export const LeaseBits = { R, H, W } as const;
