import { OplockLevel } from '../../smb2/commands/oplock-break.js';
import { LeaseFlag, type LeaseContext } from '../../smb2/commands/lease-context.js';
import type { Open } from '../state.js';
import { isStatOpen, type OplockLimits, type OplockTable } from './oplock-table.js';
import { grantableLeaseState, LeaseBits, leaseBitsOfOplock } from './rules.js';
import type { Lease, OpenOplock } from './types.js';

/** What a CREATE asked for: RequestedOplockLevel and, with SMB2_OPLOCK_LEVEL_LEASE, its RqLs context. */
export interface OplockRequest {
  oplockLevel: number;
  lease?: LeaseContext;
}

/** What the CREATE response carries: OplockLevel and the RqLs response context, [MS-SMB2] 2.2.14. */
export interface Granted {
  oplockLevel: number;
  lease?: LeaseContext;
}

/** Other opens of the file, which limit what this one may cache: not this open, not sharing `lease`. */
function othersOf(table: OplockTable, open: Open, lease?: Lease): Open[] {
  return [...table.opensOf(open.fileKey)].filter((o) => o !== open && (lease === undefined || o.oplock?.lease !== lease));
}

/** Whether another open caches writes (an Exclusive or Batch oplock, or a W lease not broken yet). */
function otherWriteCache(others: Open[]): boolean {
  return others.some((o) => {
    const bits = o.oplock?.lease ? o.oplock.lease.state : leaseBitsOfOplock(o.oplock?.level ?? 0);
    return (bits & LeaseBits.W) !== 0;
  });
}

/** An oplock, [MS-SMB2] 3.3.5.9 and [MS-FSA] 2.1.5.17: Exclusive or Batch only to the file's one open, else Level II; none beside a lease caching handles. */
function grantOplock(table: OplockTable, open: Open, o: OpenOplock, requested: number): Granted {
  if (requested !== OplockLevel.II && requested !== OplockLevel.EXCLUSIVE && requested !== OplockLevel.BATCH) return { oplockLevel: OplockLevel.NONE };
  const others = othersOf(table, open);
  if (others.length === 0) o.level = requested;
  else if (otherWriteCache(others) || others.some((x) => (x.oplock?.lease?.state ?? 0) & LeaseBits.H)) o.level = OplockLevel.NONE;
  else o.level = OplockLevel.II;
  return { oplockLevel: o.level };
}

/**
 * The state a lease request may have, [MS-SMB2] 3.3.5.9.8: no W beside another open, no H
 * beside an open holding (or able to hold) an oplock, as Windows and Samba grant.
 */
function grantableFor(table: OplockTable, open: Open, requested: number, lease?: Lease): number {
  const others = othersOf(table, open, lease);
  let granted = grantableLeaseState(requested);
  if (others.length > 0) granted &= ~LeaseBits.W;
  if (others.some((x) => !x.oplock?.lease && !isStatOpen(x.grantedAccess))) granted &= ~LeaseBits.H;
  return granted;
}

function newLease(table: OplockTable, open: Open, o: OpenOplock, req: LeaseContext, limits: OplockLimits): Lease | undefined {
  const parentSet = req.version === 2 && (req.flags & LeaseFlag.PARENT_LEASE_KEY_SET) !== 0;
  return table.leases.add({
    clientGuid: o.clientGuid,
    key: Buffer.from(req.leaseKey),
    fileKey: open.fileKey,
    version: req.version,
    state: grantableFor(table, open, req.leaseState),
    breakTo: 0,
    breakToRequired: 0,
    epoch: (req.epoch + 1) & 0xffff,
    parentKey: parentSet ? Buffer.from(req.parentLeaseKey) : undefined,
    opens: 0,
  }, limits.maxLeasesPerClient);
}

/** An existing lease upgrades only to a strict superset it can have whole, never while breaking, [MS-SMB2] 3.3.5.9.8. */
function upgradeLease(table: OplockTable, open: Open, lease: Lease, requested: number): void {
  const granted = grantableFor(table, open, requested, lease);
  const upgrade = (lease.state & requested) === lease.state && granted !== lease.state && granted === requested && !lease.breaking;
  if (!upgrade) return;
  lease.state = granted;
  lease.epoch = (lease.epoch + 1) & 0xffff;
}

/** A lease, [MS-SMB2] 3.3.5.9.8 (v1) and 3.3.5.9.11 (v2), answered in the lease's own version; none when the client may hold no more. */
function grantLease(table: OplockTable, open: Open, o: OpenOplock, req: LeaseContext, limits: OplockLimits): Granted {
  let lease = table.leases.find(o.clientGuid, req.leaseKey);
  if (lease) upgradeLease(table, open, lease, req.leaseState);
  else lease = newLease(table, open, o, req, limits);
  if (!lease) return { oplockLevel: OplockLevel.NONE };
  lease.opens++;
  o.lease = lease;
  o.level = OplockLevel.LEASE;
  let flags = lease.breaking ? LeaseFlag.BREAK_IN_PROGRESS : 0;
  if (lease.version === 2 && lease.parentKey) flags |= LeaseFlag.PARENT_LEASE_KEY_SET;
  return {
    oplockLevel: OplockLevel.LEASE,
    lease: {
      version: lease.version,
      leaseKey: lease.key,
      leaseState: lease.state,
      flags,
      parentLeaseKey: lease.parentKey ?? Buffer.alloc(16),
      epoch: lease.epoch,
    },
  };
}

/** The oplock or lease a new open of a regular file gets, after the breaks it caused. */
export function grantFor(table: OplockTable, open: Open, req: OplockRequest, limits: OplockLimits): Granted {
  const o = open.oplock;
  if (!o) return { oplockLevel: OplockLevel.NONE };
  if (req.oplockLevel === OplockLevel.LEASE) return req.lease ? grantLease(table, open, o, req.lease, limits) : { oplockLevel: OplockLevel.NONE };
  return grantOplock(table, open, o, req.oplockLevel);
}

/** A lease key names one file per client: naming it for another file is INVALID_PARAMETER, [MS-SMB2] 3.3.5.9.8. */
export function leaseKeyOnOtherFile(table: OplockTable, clientGuid: string, req: OplockRequest, fileKey: string): boolean {
  if (req.oplockLevel !== OplockLevel.LEASE || !req.lease) return false;
  const lease = table.leases.find(clientGuid, req.lease.leaseKey);
  return lease !== undefined && lease.fileKey !== fileKey;
}
