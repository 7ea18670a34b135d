// SMB Direct messages, [MS-SMBD] 2.2: the negotiate request and response and the data
// transfer message header, decoded with the bounds-checked reader and checked against the
// rules of [MS-SMBD] 3.1.5. A check returns the reason a message is refused, or null.
import { Reader, Writer } from '../wire/index.js';
import {
  DATA_HEADER_SIZE, DATA_OFFSET, MIN_FRAGMENTED_SIZE, MIN_RECEIVE_SIZE, NEGOTIATE_REQUEST_SIZE,
  NEGOTIATE_RESPONSE_SIZE, SMBD_VERSION, SmbdStatus,
} from './constants.js';

/** SMB_DIRECT_NEGOTIATE_REQUEST, [MS-SMBD] 2.2.1. */
export interface NegotiateRequest {
  minVersion: number;
  maxVersion: number;
  creditsRequested: number;
  preferredSendSize: number;
  maxReceiveSize: number;
  maxFragmentedSize: number;
}

/** SMB_DIRECT_NEGOTIATE_RESPONSE, [MS-SMBD] 2.2.2. */
export interface NegotiateResponse {
  minVersion: number;
  maxVersion: number;
  negotiatedVersion: number;
  creditsRequested: number;
  creditsGranted: number;
  status: number;
  maxReadWriteSize: number;
  preferredSendSize: number;
  maxReceiveSize: number;
  maxFragmentedSize: number;
}

/** SMB_DIRECT_DATA_TRANSFER_MESSAGE header, [MS-SMBD] 2.2.3. */
export interface DataHeader {
  creditsRequested: number;
  creditsGranted: number;
  flags: number;
  remainingDataLength: number;
  dataOffset: number;
  dataLength: number;
}

export function encodeNegotiateRequest(m: NegotiateRequest): Buffer {
  const w = new Writer(0, NEGOTIATE_REQUEST_SIZE);
  w.u16(m.minVersion).u16(m.maxVersion).u16(0).u16(m.creditsRequested);
  w.u32(m.preferredSendSize).u32(m.maxReceiveSize).u32(m.maxFragmentedSize);
  return w.finish();
}

export function decodeNegotiateRequest(buf: Buffer): NegotiateRequest {
  const r = new Reader(buf);
  const minVersion = r.u16();
  const maxVersion = r.u16();
  r.skip(2);
  return { minVersion, maxVersion, creditsRequested: r.u16(), preferredSendSize: r.u32(), maxReceiveSize: r.u32(), maxFragmentedSize: r.u32() };
}

export function encodeNegotiateResponse(m: NegotiateResponse): Buffer {
  const w = new Writer(0, NEGOTIATE_RESPONSE_SIZE);
  w.u16(m.minVersion).u16(m.maxVersion).u16(m.negotiatedVersion).u16(0);
  w.u16(m.creditsRequested).u16(m.creditsGranted).u32(m.status).u32(m.maxReadWriteSize);
  w.u32(m.preferredSendSize).u32(m.maxReceiveSize).u32(m.maxFragmentedSize);
  return w.finish();
}

export function decodeNegotiateResponse(buf: Buffer): NegotiateResponse {
  const r = new Reader(buf);
  const minVersion = r.u16();
  const maxVersion = r.u16();
  const negotiatedVersion = r.u16();
  r.skip(2);
  return {
    minVersion, maxVersion, negotiatedVersion,
    creditsRequested: r.u16(), creditsGranted: r.u16(), status: r.u32(), maxReadWriteSize: r.u32(),
    preferredSendSize: r.u32(), maxReceiveSize: r.u32(), maxFragmentedSize: r.u32(),
  };
}

/** The 20 header bytes, padded to DataOffset 24 when data follows ([MS-SMBD] 2.2.3). */
export function encodeDataHeader(m: Omit<DataHeader, 'dataOffset'>, into?: Buffer): Buffer {
  const w = new Writer(0, DATA_OFFSET);
  w.u16(m.creditsRequested).u16(m.creditsGranted).u16(m.flags).u16(0);
  w.u32(m.remainingDataLength).u32(m.dataLength ? DATA_OFFSET : 0).u32(m.dataLength);
  if (m.dataLength) w.u32(0);
  const bytes = w.finish();
  if (!into) return bytes;
  into.set(bytes);
  return into.subarray(0, bytes.length);
}

export function decodeDataHeader(buf: Buffer): DataHeader {
  const r = new Reader(buf);
  const creditsRequested = r.u16();
  const creditsGranted = r.u16();
  const flags = r.u16();
  r.skip(2);
  return { creditsRequested, creditsGranted, flags, remainingDataLength: r.u32(), dataOffset: r.u32(), dataLength: r.u32() };
}

/** Why the server must not go on with this negotiate request, [MS-SMBD] 3.1.5.6; `version` means answer NOT_SUPPORTED. */
export function checkNegotiateRequest(bytes: number, m: NegotiateRequest | null): string | null {
  if (bytes < NEGOTIATE_REQUEST_SIZE || !m) return `negotiate request of ${bytes} bytes (< ${NEGOTIATE_REQUEST_SIZE})`;
  if (m.minVersion > SMBD_VERSION || m.maxVersion < SMBD_VERSION) return 'version';
  if (m.creditsRequested === 0) return 'negotiate request asks for 0 credits';
  if (m.maxReceiveSize < MIN_RECEIVE_SIZE) return `negotiate MaxReceiveSize ${m.maxReceiveSize} < ${MIN_RECEIVE_SIZE}`;
  if (m.maxFragmentedSize < MIN_FRAGMENTED_SIZE) return `negotiate MaxFragmentedSize ${m.maxFragmentedSize} < ${MIN_FRAGMENTED_SIZE}`;
  return null;
}

/** Why the client must drop the connection on this negotiate response, [MS-SMBD] 3.1.5.2. */
export function checkNegotiateResponse(bytes: number, m: NegotiateResponse | null, ourMaxReceiveSize: number): string | null {
  if (bytes < NEGOTIATE_RESPONSE_SIZE || !m) return `negotiate response of ${bytes} bytes (< ${NEGOTIATE_RESPONSE_SIZE})`;
  if (m.status !== SmbdStatus.SUCCESS) return `negotiate refused with status 0x${m.status.toString(16)}`;
  if (m.negotiatedVersion !== SMBD_VERSION) return `negotiated version 0x${m.negotiatedVersion.toString(16)}`;
  if (m.creditsGranted === 0) return 'negotiate response grants 0 credits';
  if (m.creditsRequested === 0) return 'negotiate response asks for 0 credits';
  if (m.preferredSendSize > ourMaxReceiveSize) return `PreferredSendSize ${m.preferredSendSize} > our MaxReceiveSize ${ourMaxReceiveSize}`;
  if (m.maxReceiveSize < MIN_RECEIVE_SIZE) return `MaxReceiveSize ${m.maxReceiveSize} < ${MIN_RECEIVE_SIZE}`;
  if (m.maxFragmentedSize < MIN_FRAGMENTED_SIZE) return `MaxFragmentedSize ${m.maxFragmentedSize} < ${MIN_FRAGMENTED_SIZE}`;
  return null;
}

/** Why a data transfer message ends the connection, [MS-SMBD] 3.1.5.8 (maxFragmented: ours). */
export function checkDataHeader(bytes: number, h: DataHeader | null, maxFragmentedSize: number): string | null {
  if (bytes < DATA_HEADER_SIZE || !h) return `data message of ${bytes} bytes (< ${DATA_HEADER_SIZE})`;
  if (h.creditsRequested === 0) return 'data message asks for 0 credits';
  if (h.dataLength === 0) return h.remainingDataLength === 0 ? null : 'empty fragment with RemainingDataLength set';
  if (h.dataOffset % 8 !== 0) return `DataOffset ${h.dataOffset} not 8-byte aligned`;
  if (h.dataOffset < DATA_HEADER_SIZE || h.dataOffset + h.dataLength > bytes) return `data [${h.dataOffset}, +${h.dataLength}) outside the ${bytes}-byte message`;
  if (h.dataLength + h.remainingDataLength > maxFragmentedSize) return `fragmented message of ${h.dataLength + h.remainingDataLength} bytes > ${maxFragmentedSize}`;
  return null;
}
