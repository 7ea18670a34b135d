// Hand-built CREATE requests with durable-handle create contexts ([MS-SMB2] 2.2.13, 2.2.13.2.3,
// 2.2.13.2.4, 2.2.13.2.11, 2.2.13.2.12), spelled out with bytes.ts: no encoder under test is used.
import { cat, le16, le32, le64, utf16, zeros } from './bytes.js';

export interface FileIdBytes {
  persistent: bigint;
  volatile: bigint;
}

/** One create context: Next, NameOffset 16, NameLength 4, Reserved, DataOffset 24, DataLength, name, 4 pad bytes, data. */
function context(name: string, data: Buffer, last: boolean): Buffer {
  const body = cat(le16(16), le16(4), le16(0), le16(data.length ? 24 : 0), le32(data.length), Buffer.from(name, 'latin1'), zeros(4), data);
  const size = 4 + body.length;
  const padded = last ? size : Math.ceil(size / 8) * 8;
  return cat(le32(last ? 0 : padded), body, zeros(padded - size));
}

/** The chained contexts, each at an 8-byte boundary. */
export function createContexts(list: Array<[string, Buffer]>): Buffer {
  return cat(...list.map(([n, d], i) => context(n, d, i === list.length - 1)));
}

/** DHnQ data: 16 reserved bytes. */
export function dhnq(): [string, Buffer] {
  return ['DHnQ', zeros(16)];
}

/** DHnC data: the FileId to reclaim. */
export function dhnc(id: FileIdBytes): [string, Buffer] {
  return ['DHnC', cat(le64(id.persistent), le64(id.volatile))];
}

/** DH2Q data: Timeout, Flags, 8 reserved bytes, CreateGuid. */
export function dh2q(timeoutMs: number, createGuid: Buffer, flags = 0): [string, Buffer] {
  return ['DH2Q', cat(le32(timeoutMs), le32(flags), zeros(8), createGuid)];
}

/** DH2C data: FileId, CreateGuid, Flags. */
export function dh2c(id: FileIdBytes, createGuid: Buffer, flags = 0): [string, Buffer] {
  return ['DH2C', cat(le64(id.persistent), le64(id.volatile), createGuid, le32(flags))];
}

/** RqLs v1 data: LeaseKey, LeaseState, LeaseFlags, LeaseDuration. */
export function rqls(leaseKey: Buffer, state: number): [string, Buffer] {
  return ['RqLs', cat(leaseKey, le32(state), le32(0), le64(0))];
}

export interface CreateBody {
  name: string;
  oplockLevel?: number;
  desiredAccess?: number;
  shareAccess?: number;
  disposition?: number;
  contexts?: Array<[string, Buffer]>;
}

/**
 * A CREATE request body (after the 64-byte header): the 56-byte fixed part, the UTF-16 name at
 * offset 120, then the contexts at the next 8-byte boundary.
 */
export function createBody(o: CreateBody): Buffer {
  const name = utf16(o.name);
  const contexts = createContexts(o.contexts ?? []);
  const nameEnd = 120 + Math.max(name.length, 1);
  const contextsAt = contexts.length ? Math.ceil(nameEnd / 8) * 8 : 0;
  const fixed = cat(
    le16(57), [0, o.oplockLevel ?? 0], le32(2), zeros(16),
    le32(o.desiredAccess ?? 0x0012019f), le32(0), le32(o.shareAccess ?? 0), le32(o.disposition ?? 3 /* OPEN_IF */), le32(0x40 /* NON_DIRECTORY_FILE */),
    le16(120), le16(name.length), le32(contextsAt), le32(contexts.length),
  );
  const buffer = name.length ? name : zeros(1);
  if (!contexts.length) return cat(fixed, buffer);
  return cat(fixed, buffer, zeros(contextsAt - 64 - fixed.length - buffer.length), contexts);
}
