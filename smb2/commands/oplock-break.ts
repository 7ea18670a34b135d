import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { HEADER_SIZE } from '../constants.js';
import { Status } from '../status.js';
import { readFileId, writeFileId, type FileId } from './create.js';

/** OplockLevel, [MS-SMB2] 2.2.13 (requested), 2.2.14 (granted), 2.2.23.1 (break). */
export const OplockLevel = { NONE: 0x00, II: 0x01, EXCLUSIVE: 0x08, BATCH: 0x09, LEASE: 0xff } as const;

/** LeaseState bits, [MS-SMB2] 2.2.13.2.8. */
export const LeaseState = { NONE: 0x0, READ: 0x1, HANDLE: 0x2, WRITE: 0x4 } as const;

/** Flags of a lease break notification, [MS-SMB2] 2.2.23.2. */
export const LeaseBreakFlag = { ACK_REQUIRED: 0x01 } as const;

/** StructureSize of the oplock break messages, [MS-SMB2] 2.2.23.1, 2.2.24.1, 2.2.25.1. */
export const OPLOCK_BREAK_SIZE = 24;
/** StructureSize of a lease break acknowledgment and its response, [MS-SMB2] 2.2.24.2, 2.2.25.2. */
export const LEASE_BREAK_ACK_SIZE = 36;
/** StructureSize of a lease break notification, [MS-SMB2] 2.2.23.2. */
export const LEASE_BREAK_NOTIFICATION_SIZE = 44;

/** Oplock Break Acknowledgment, [MS-SMB2] 2.2.24.1. */
export interface OplockBreakAck {
  kind: 'oplock';
  oplockLevel: number;
  fileId: FileId;
}

/** Lease Break Acknowledgment, [MS-SMB2] 2.2.24.2. */
export interface LeaseBreakAck {
  kind: 'lease';
  flags: number;
  leaseKey: Buffer;
  leaseState: number;
  leaseDuration: bigint;
}

/** Lease Break Notification, [MS-SMB2] 2.2.23.2 (BreakReason and the hints are always 0). */
export interface LeaseBreakNotification {
  newEpoch: number;
  flags: number;
  leaseKey: Buffer;
  currentLeaseState: number;
  newLeaseState: number;
}

/** An OPLOCK_BREAK request: its StructureSize says which acknowledgment it is, [MS-SMB2] 3.3.5.22. */
export function decodeOplockBreakRequest(r: Reader): OplockBreakAck | LeaseBreakAck {
  const size = r.u16();
  if (size === OPLOCK_BREAK_SIZE) {
    const oplockLevel = r.u8();
    r.skip(5); // Reserved, Reserved2
    return { kind: 'oplock', oplockLevel, fileId: readFileId(r) };
  }
  if (size !== LEASE_BREAK_ACK_SIZE) throw new DecodeError('bad OPLOCK_BREAK StructureSize', Status.INVALID_PARAMETER);
  r.u16(); // Reserved
  const flags = r.u32();
  const leaseKey = r.bytes(16);
  const leaseState = r.u32();
  const leaseDuration = r.u64();
  return { kind: 'lease', flags, leaseKey, leaseState, leaseDuration };
}

/** Oplock Break Notification or Response (one layout), [MS-SMB2] 2.2.23.1, 2.2.25.1. */
export function encodeOplockBreak(oplockLevel: number, fileId: FileId): Buffer {
  const w = new Writer(HEADER_SIZE, OPLOCK_BREAK_SIZE);
  w.u16(OPLOCK_BREAK_SIZE).u8(oplockLevel).u8(0).u32(0);
  writeFileId(w, fileId);
  return w.finish();
}

/** Lease Break Notification, [MS-SMB2] 2.2.23.2. */
export function encodeLeaseBreakNotification(m: LeaseBreakNotification): Buffer {
  const w = new Writer(HEADER_SIZE, LEASE_BREAK_NOTIFICATION_SIZE);
  w.u16(LEASE_BREAK_NOTIFICATION_SIZE).u16(m.newEpoch).u32(m.flags).bytes(m.leaseKey);
  w.u32(m.currentLeaseState).u32(m.newLeaseState).u32(0).u32(0).u32(0);
  return w.finish();
}

/** Lease Break Response, [MS-SMB2] 2.2.25.2 (the acknowledgment's layout, 2.2.24.2). */
export function encodeLeaseBreakResponse(leaseKey: Buffer, leaseState: number): Buffer {
  const w = new Writer(HEADER_SIZE, LEASE_BREAK_ACK_SIZE);
  w.u16(LEASE_BREAK_ACK_SIZE).u16(0).u32(0).bytes(leaseKey).u32(leaseState).u64(0n);
  return w.finish();
}

/** Lease Break Acknowledgment, [MS-SMB2] 2.2.24.2 (the client's side). */
export function encodeLeaseBreakAck(leaseKey: Buffer, leaseState: number): Buffer {
  return encodeLeaseBreakResponse(leaseKey, leaseState);
}

/** Lease Break Notification as the client reads it, [MS-SMB2] 2.2.23.2. */
export function decodeLeaseBreakNotification(r: Reader): LeaseBreakNotification {
  r.u16();
  const newEpoch = r.u16();
  const flags = r.u32();
  const leaseKey = r.bytes(16);
  const currentLeaseState = r.u32();
  const newLeaseState = r.u32();
  r.skip(12);
  return { newEpoch, flags, leaseKey, currentLeaseState, newLeaseState };
}
