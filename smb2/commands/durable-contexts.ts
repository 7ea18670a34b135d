import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { Status } from '../status.js';
import { readFileId, type FileId } from './create.js';

/** Create context names of durable handles, [MS-SMB2] 2.2.13.2. */
export const DurableContextName = {
  REQUEST: 'DHnQ',
  RECONNECT: 'DHnC',
  REQUEST_V2: 'DH2Q',
  RECONNECT_V2: 'DH2C',
} as const;

/** SMB2_DHANDLE_FLAG_PERSISTENT, [MS-SMB2] 2.2.13.2.11 and 2.2.14.2.12. */
export const DHANDLE_FLAG_PERSISTENT = 0x00000002;

/** DataLength of SMB2_CREATE_DURABLE_HANDLE_REQUEST and _RECONNECT, [MS-SMB2] 2.2.13.2.3/2.2.13.2.4. */
export const DURABLE_V1_SIZE = 16;
/** DataLength of SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2, [MS-SMB2] 2.2.13.2.11. */
export const DURABLE_REQUEST_V2_SIZE = 32;
/** DataLength of SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2, [MS-SMB2] 2.2.13.2.12. */
export const DURABLE_RECONNECT_V2_SIZE = 36;

/** SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2, [MS-SMB2] 2.2.13.2.11. */
export interface DurableRequestV2 {
  /** Milliseconds; 0 asks for the server's default. */
  timeout: number;
  flags: number;
  createGuid: Buffer;
}

/** SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2, [MS-SMB2] 2.2.13.2.12. */
export interface DurableReconnectV2 {
  fileId: FileId;
  createGuid: Buffer;
  flags: number;
}

/** SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2, [MS-SMB2] 2.2.14.2.12. */
export interface DurableResponseV2 {
  timeout: number;
  flags: number;
}

function reader(data: Buffer, size: number, what: string): Reader {
  if (data.length < size) throw new DecodeError(`short ${what} context`, Status.INVALID_PARAMETER);
  return new Reader(data);
}

/** DHnC: the FileId of the open to reclaim (DHnQ's 16 bytes are reserved and ignored). */
export function decodeDurableReconnect(data: Buffer): FileId {
  return readFileId(reader(data, DURABLE_V1_SIZE, 'DHnC'));
}

export function decodeDurableRequestV2(data: Buffer): DurableRequestV2 {
  const r = reader(data, DURABLE_REQUEST_V2_SIZE, 'DH2Q');
  const timeout = r.u32();
  const flags = r.u32();
  r.skip(8); // Reserved
  return { timeout, flags, createGuid: r.bytes(16) };
}

export function decodeDurableReconnectV2(data: Buffer): DurableReconnectV2 {
  const r = reader(data, DURABLE_RECONNECT_V2_SIZE, 'DH2C');
  const fileId = readFileId(r);
  const createGuid = r.bytes(16);
  return { fileId, createGuid, flags: r.u32() };
}

/** SMB2_CREATE_DURABLE_HANDLE_RESPONSE: 8 reserved bytes, [MS-SMB2] 2.2.14.2.3. */
export function encodeDurableResponse(): Buffer {
  return new Writer(0, 8).zeros(8).finish();
}

export function encodeDurableResponseV2(m: DurableResponseV2): Buffer {
  return new Writer(0, 8).u32(m.timeout).u32(m.flags).finish();
}

export function decodeDurableResponseV2(data: Buffer): DurableResponseV2 {
  const r = reader(data, 8, 'DH2Q response');
  return { timeout: r.u32(), flags: r.u32() };
}
