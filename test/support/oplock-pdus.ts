/**
 * Hand-built oplock and lease PDUs ([MS-SMB2] 2.2.13, 2.2.13.2.8/10, 2.2.23, 2.2.24), spelled out
 * with the independent byte builder, and readers for the notifications the server sends.
 */
import { cat, le16, le32, le64, utf16, zeros } from './bytes.js';

export const LEASE_R = 0x1;
export const LEASE_H = 0x2;
export const LEASE_W = 0x4;

/** A 16-byte lease key from one number (as smbtorture's LEASE1 = n, ~n). */
export function leaseKey(n: number): Buffer {
  return cat(le64(BigInt(n)), le64(~BigInt(n) & 0xffffffffffffffffn));
}

/** SMB2_CREATE_REQUEST_LEASE (v1, 32 bytes) or _V2 (52 bytes) data. */
export function leaseData(key: Buffer, state: number, v2?: { epoch: number; parentKey?: Buffer }): Buffer {
  const v1 = cat(key, le32(state), le32(v2?.parentKey ? 0x4 : 0), le64(0n));
  if (!v2) return v1;
  return cat(v1, v2.parentKey ?? zeros(16), le16(v2.epoch), le16(0));
}

/** One create context named RqLs, [MS-SMB2] 2.2.13.2: header 16, name 4 + pad 4, data at 24. */
function rqLsContext(data: Buffer): Buffer {
  return cat(le32(0), le16(16), le16(4), le16(0), le16(24), le32(data.length), Buffer.from('RqLs', 'latin1'), zeros(4), data);
}

export interface CreateFields {
  name: string;
  oplockLevel: number;
  desiredAccess?: number;
  shareAccess?: number;
  disposition?: number;
  lease?: Buffer;
}

/** CREATE request body, [MS-SMB2] 2.2.13: 56 fixed bytes, the name at 120, contexts 8-aligned after it. */
export function createBody(f: CreateFields): Buffer {
  const name = utf16(f.name);
  const nameEnd = 56 + name.length;
  const pad = f.lease ? (8 - ((64 + nameEnd) % 8)) % 8 : 0;
  const contexts = f.lease ? rqLsContext(f.lease) : Buffer.alloc(0);
  const ctxOffset = f.lease ? 64 + nameEnd + pad : 0;
  return cat(
    le16(57), [0], [f.oplockLevel], le32(2), zeros(16),
    le32(f.desiredAccess ?? 0x0012019f), le32(0x80), le32(f.shareAccess ?? 7), le32(f.disposition ?? 3), le32(0x40),
    le16(120), le16(name.length), le32(ctxOffset), le32(contexts.length),
    name.length ? name : zeros(1), zeros(pad), contexts,
  );
}

/** Oplock Break Acknowledgment, [MS-SMB2] 2.2.24.1. */
export function oplockAckBody(level: number, fileId: Buffer): Buffer {
  return cat(le16(24), [level], [0], le32(0), fileId);
}

/** Lease Break Acknowledgment, [MS-SMB2] 2.2.24.2. */
export function leaseAckBody(key: Buffer, state: number): Buffer {
  return cat(le16(36), le16(0), le32(0), key, le32(state), le64(0n));
}

/** The 16 FileId bytes of a CREATE response, [MS-SMB2] 2.2.14 (body offset 64). */
export function fileIdOfCreateResponse(message: Buffer): Buffer {
  return message.subarray(64 + 64, 64 + 80);
}

/** OplockLevel of a CREATE response (body offset 2). */
export function oplockLevelOfCreateResponse(message: Buffer): number {
  return message[64 + 2];
}

/** The RqLs response context's LeaseState (and v2 Epoch), found by name in the response's context list. */
export function leaseOfCreateResponse(message: Buffer): { state: number; flags: number; key: Buffer; epoch?: number } | undefined {
  const offset = message.readUInt32LE(64 + 80);
  const length = message.readUInt32LE(64 + 84);
  for (let at = offset; length > 0 && at < offset + length; ) {
    const next = message.readUInt32LE(at);
    const name = message.subarray(at + message.readUInt16LE(at + 4), at + message.readUInt16LE(at + 4) + message.readUInt16LE(at + 6)).toString('latin1');
    const data = message.subarray(at + message.readUInt16LE(at + 10), at + message.readUInt16LE(at + 10) + message.readUInt32LE(at + 12));
    if (name === 'RqLs') {
      return { key: data.subarray(0, 16), state: data.readUInt32LE(16), flags: data.readUInt32LE(20), epoch: data.length >= 52 ? data.readUInt16LE(48) : undefined };
    }
    if (next === 0) break;
    at += next;
  }
  return undefined;
}

/** An Oplock Break Notification, [MS-SMB2] 2.2.23.1, as the client reads it. */
export function readOplockBreak(m: Buffer): { level: number; fileId: Buffer } {
  return { level: m[64 + 2], fileId: m.subarray(64 + 8, 64 + 24) };
}

/** A Lease Break Notification, [MS-SMB2] 2.2.23.2, as the client reads it. */
export function readLeaseBreak(m: Buffer): { epoch: number; flags: number; key: Buffer; current: number; next: number } {
  const b = m.subarray(64);
  return { epoch: b.readUInt16LE(2), flags: b.readUInt32LE(4), key: b.subarray(8, 24), current: b.readUInt32LE(24), next: b.readUInt32LE(28) };
}
