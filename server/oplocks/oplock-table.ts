import { LeaseState, OplockLevel } from '../../smb2/commands/oplock-break.js';
import { Status } from '../../smb2/status.js';
import { Access } from '../../smb2/constants.js';
import type { Open } from '../state.js';
import { LeaseTable } from './lease-table.js';
import { oplockBreakMessage } from './notifications.js';
import { LeaseBreaker } from './lease-breaks.js';
import { breakTarget, delayMask, leaseBitsOfOplock, type BreakCause } from './rules.js';
import { PendingBreak, type Lease, type OpenOplock } from './types.js';

/** What the table needs from the server's limits (options.ts ServerLimits). */
export interface OplockLimits {
  oplockBreakTimeoutMs: number;
  maxLeasesPerClient: number;
}

/** Who is asking: an open being made (CREATE) or an open acting on its file (WRITE, rename). */
export interface Contender {
  fileKey: string;
  clientGuid: string;
  /** The lease key the contender holds or asks for: that lease is never broken for it. */
  leaseKey?: Buffer;
  /** The contender's access: a stat open (isStatOpen) breaks nothing unless it overwrites. */
  access?: number;
  /** The open acting (WRITE, SET_INFO): never broken for itself. */
  open?: Open;
}

/** A grant on the file someone else holds: a lease (once, however many opens share it) or one open's oplock. */
type Holder = { lease: Lease } | { open: Open; oplock: OpenOplock };

/** Access that neither reads, writes nor deletes data ([MS-SMB2] 2.2.13.1). */
const STAT_ACCESS = Access.SYNCHRONIZE | Access.FILE_READ_ATTRIBUTES | Access.FILE_WRITE_ATTRIBUTES;
/** READ_CONTROL too leaves a lease alone (Windows and Samba break oplocks for it, not leases). */
const LEASE_STAT_ACCESS = STAT_ACCESS | Access.READ_CONTROL;

/** A stat open (some of those bits, nothing else) breaks no oplock (or, with `lease`, no lease) unless it overwrites the file. */
export function isStatOpen(access: number, lease = false): boolean {
  const bits = lease ? LEASE_STAT_ACCESS : STAT_ACCESS;
  return (access & bits) !== 0 && (access & ~bits) === 0;
}

/**
 * Oplocks and leases of every open file, [MS-SMB2] 3.3.1.4 and 3.3.4.6/3.3.4.7 with the break
 * rules of [MS-FSA] 2.1.4.12 and 2.1.5.17: which opens hold what, which breaks a conflicting
 * operation sends, and what it has to wait for. Server-wide (ServerCore.oplocks), so a lease
 * outlives a connection's bookkeeping only as long as one of its opens does.
 */
export class OplockTable {
  readonly leases = new LeaseTable();
  private readonly files = new Map<string, Set<Open>>();
  private readonly leaseBreaker: LeaseBreaker;

  constructor(private readonly limits: () => OplockLimits) {
    this.leaseBreaker = new LeaseBreaker(() => limits().oplockBreakTimeoutMs, (lease, message) => this.notifyLease(lease, message));
  }

  /** A regular file's open joins its file's list, holding nothing yet. */
  track(open: Open, clientGuid: string, notify: (message: Buffer) => void): OpenOplock {
    const oplock: OpenOplock = { level: OplockLevel.NONE, breakTo: 0, clientGuid, notify };
    open.oplock = oplock;
    let opens = this.files.get(open.fileKey);
    if (!opens) this.files.set(open.fileKey, (opens = new Set()));
    opens.add(open);
    return oplock;
  }

  /** The open closed: a break waiting on it settles, and a lease no open holds any more goes. */
  untrack(open: Open): void {
    const o = open.oplock;
    if (!o) return;
    const opens = this.files.get(open.fileKey);
    if (opens?.delete(open) && opens.size === 0) this.files.delete(open.fileKey);
    o.breaking?.settle();
    o.level = OplockLevel.NONE;
    const lease = o.lease;
    o.lease = undefined;
    if (!lease || --lease.opens > 0) return;
    this.leaseBreaker.release(lease);
    this.leases.remove(lease);
  }

  /** The opens of a file (tracked ones: regular files). */
  opensOf(fileKey: string): ReadonlySet<Open> {
    return this.files.get(fileKey) ?? new Set();
  }

  private isOwnLease(lease: Lease, c: Contender): boolean {
    return c.leaseKey !== undefined && lease.clientGuid === c.clientGuid && lease.key.equals(c.leaseKey);
  }

  /** Other grants on the file; with `self`, the contender's own open's oplock too (a WRITE breaks its own Level II). */
  private holders(c: Contender, self = false): Holder[] {
    const out: Holder[] = [];
    const seen = new Set<Lease>();
    for (const open of this.opensOf(c.fileKey)) {
      const o = open.oplock;
      if (!o || (open === c.open && !self)) continue;
      if (o.lease) {
        if (seen.has(o.lease) || this.isOwnLease(o.lease, c)) continue;
        seen.add(o.lease);
        out.push({ lease: o.lease });
      } else if (o.level !== OplockLevel.NONE) out.push({ open, oplock: o });
    }
    return out;
  }

  /**
   * A CREATE of the file, before its share-mode check ([MS-SMB2] 3.3.5.9, [MS-FSA] 2.1.5.1.2):
   * sends the breaks the new open causes and returns what it must wait for (empty: go on). A
   * holder is broken to what it may keep ([MS-FSA] 2.1.4.12, rules.ts); the open waits when the
   * holder was caching what conflicts (delayMask), and, once it has waited before, as long as a
   * lease break is in progress (as Windows and Samba do, smbtorture smb2.lease.breaking3).
   */
  contendOpen(c: Contender, cause: BreakCause, firstAttempt: boolean): Promise<void>[] {
    const waits: Promise<void>[] = [];
    for (const h of this.holders(c)) {
      const isLease = 'lease' in h;
      if (c.access !== undefined && !cause.overwrite && isStatOpen(c.access, isLease)) continue;
      const held = isLease ? h.lease.state : leaseBitsOfOplock(h.oplock.level);
      const pending = isLease ? h.lease.breaking : h.oplock.breaking;
      const to = breakTarget(held, isLease, cause);
      if (to === null) {
        if (isLease && pending) waits.push(pending.settled);
        continue;
      }
      const wait = isLease ? this.breakLease(h.lease, to) : this.breakOplock(h.open, h.oplock, to & LeaseState.READ ? OplockLevel.II : OplockLevel.NONE);
      if (wait && (held & delayMask(cause) || (pending && !firstAttempt))) waits.push(wait);
    }
    return waits;
  }

  /**
   * A WRITE or a truncation by `c.open`: every read cache of the file but the writer's own lease
   * is broken to none, without waiting ([MS-FSA] 2.1.5.4 and 2.1.4.12: Level II oplocks, the
   * writer's own included, and R leases).
   */
  contendWrite(c: Contender): void {
    for (const h of this.holders(c, true)) {
      if ('lease' in h) {
        if (h.lease.state & LeaseState.READ) this.breakLease(h.lease, LeaseState.NONE);
      } else if (!h.oplock.breaking && h.oplock.level === OplockLevel.II) this.breakOplock(h.open, h.oplock, OplockLevel.NONE);
    }
  }

  /** A rename or delete of the file: other leases lose handle caching, and the operation waits, [MS-FSA] 2.1.5.14.11. */
  contendNamespace(c: Contender): Promise<void>[] {
    const waits: Promise<void>[] = [];
    for (const h of this.holders(c)) {
      if (!('lease' in h) || !(h.lease.state & LeaseState.HANDLE || h.lease.breaking)) continue;
      const wait = this.breakLease(h.lease, h.lease.state & ~LeaseState.HANDLE);
      if (wait) waits.push(wait);
    }
    return waits;
  }

  /** Asks a lease down; returns its break in progress, if any, to wait for. */
  private breakLease(lease: Lease, to: number): Promise<void> | null {
    this.leaseBreaker.request(lease, to);
    return lease.breaking?.settled ?? null;
  }

  /**
   * A lease break goes to its client ([MS-SMB2] 3.3.4.7): on the connection of the client's
   * oldest open of the file (Samba uses the client's first connection, smbtorture
   * smb2.lease.v2_complex1 checks it), which holds the lease itself or shares its ClientGuid.
   */
  private notifyLease(lease: Lease, message: Buffer): void {
    for (const open of this.opensOf(lease.fileKey)) {
      if (open.oplock?.clientGuid === lease.clientGuid) return open.oplock.notify(message);
    }
  }

  /** Sends an oplock break, [MS-SMB2] 3.3.4.6: Level II falls to none at once, Exclusive and Batch wait for the acknowledgment. */
  private breakOplock(open: Open, o: OpenOplock, to: number): Promise<void> | null {
    o.notify(oplockBreakMessage(to, open.fileId, open.session.id, open.tree.id));
    if (o.level === OplockLevel.II) {
      o.level = OplockLevel.NONE;
      return null;
    }
    o.breakTo = to;
    const pending = new PendingBreak(this.limits().oplockBreakTimeoutMs, () => {
      o.level = OplockLevel.NONE; // no acknowledgment in time, [MS-SMB2] 3.3.2.1
    });
    o.breaking = pending;
    void pending.settled.then(() => {
      if (o.breaking === pending) o.breaking = undefined;
    });
    return pending.settled;
  }

  /** OPLOCK_BREAK acknowledgment of an oplock, [MS-SMB2] 3.3.5.22.1; the level the open holds now. */
  acknowledgeOplock(open: Open, level: number): { status: number; level: number } {
    if (level !== OplockLevel.NONE && level !== OplockLevel.II) return { status: Status.INVALID_PARAMETER, level: 0 };
    const o = open.oplock;
    if (!o?.breaking || o.lease) return { status: Status.INVALID_OPLOCK_PROTOCOL, level: 0 };
    o.level = o.breakTo === OplockLevel.NONE || level === OplockLevel.NONE ? OplockLevel.NONE : OplockLevel.II;
    o.breaking.settle();
    o.breaking = undefined;
    return { status: Status.SUCCESS, level: o.level };
  }

  /** OPLOCK_BREAK acknowledgment of a lease, [MS-SMB2] 3.3.5.22.2. */
  acknowledgeLease(clientGuid: string, key: Buffer, state: number): number {
    const lease = this.leases.find(clientGuid, key);
    if (!lease) return Status.OBJECT_NAME_NOT_FOUND;
    return this.leaseBreaker.acknowledge(lease, state);
  }
}
