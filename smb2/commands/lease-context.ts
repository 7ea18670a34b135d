import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { Status } from '../status.js';

/** Flags of SMB2_CREATE_REQUEST_LEASE_V2 and its response, [MS-SMB2] 2.2.13.2.10, 2.2.14.2.11. */
export const LeaseFlag = { BREAK_IN_PROGRESS: 0x02, PARENT_LEASE_KEY_SET: 0x04 } as const;

/** DataLength of SMB2_CREATE_REQUEST_LEASE, [MS-SMB2] 2.2.13.2.8. */
export const LEASE_V1_SIZE = 32;
/** DataLength of SMB2_CREATE_REQUEST_LEASE_V2, [MS-SMB2] 2.2.13.2.10. */
export const LEASE_V2_SIZE = 52;

/** The RqLs create context, v1 ([MS-SMB2] 2.2.13.2.8) or v2 (2.2.13.2.10); also the response's, 2.2.14.2.10/11. */
export interface LeaseContext {
  version: 1 | 2;
  leaseKey: Buffer;
  leaseState: number;
  flags: number;
  /** v2 only. */
  parentLeaseKey: Buffer;
  /** v2 only. */
  epoch: number;
}

/** v2 only when the dialect is 3.x ([MS-SMB2] 3.3.5.9.11), else the v1 fields. */
export function decodeLeaseContext(data: Buffer, allowV2: boolean): LeaseContext {
  if (data.length < LEASE_V1_SIZE) throw new DecodeError('short lease context', Status.INVALID_PARAMETER);
  const r = new Reader(data);
  const leaseKey = r.bytes(16);
  const leaseState = r.u32();
  const flags = r.u32();
  r.u64(); // LeaseDuration
  if (!allowV2 || data.length < LEASE_V2_SIZE) return { version: 1, leaseKey, leaseState, flags: 0, parentLeaseKey: Buffer.alloc(16), epoch: 0 };
  const parentLeaseKey = r.bytes(16);
  const epoch = r.u16();
  return { version: 2, leaseKey, leaseState, flags, parentLeaseKey, epoch };
}

/** The response context's data: v1 is 32 bytes, v2 52. */
export function encodeLeaseContext(m: LeaseContext): Buffer {
  const w = new Writer(0, LEASE_V2_SIZE);
  w.bytes(m.leaseKey).u32(m.leaseState).u32(m.flags).u64(0n);
  if (m.version === 2) w.bytes(m.parentLeaseKey).u16(m.epoch).u16(0);
  return w.finish();
}
