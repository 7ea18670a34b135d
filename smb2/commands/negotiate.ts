import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { Command, Dialect, HEADER_SIZE, NegotiateContextType, RequestStructureSize, ResponseStructureSize } from '../constants.js';

/** One negotiate context, [MS-SMB2] 2.2.3.1: type plus opaque data. */
export interface NegotiateContext {
  type: number;
  data: Buffer;
}

/** NEGOTIATE request, [MS-SMB2] 2.2.3. */
export interface NegotiateRequest {
  securityMode: number;
  capabilities: number;
  clientGuid: Buffer;
  dialects: number[];
  contexts: NegotiateContext[];
}

/** NEGOTIATE response, [MS-SMB2] 2.2.4. */
export interface NegotiateResponse {
  securityMode: number;
  dialect: number;
  serverGuid: Buffer;
  capabilities: number;
  maxTransactSize: number;
  maxReadSize: number;
  maxWriteSize: number;
  systemTime: bigint;
  serverStartTime: bigint;
  securityBuffer: Buffer;
  contexts: NegotiateContext[];
}

export function decodeNegotiateRequest(r: Reader): NegotiateRequest {
  r.u16(); // StructureSize
  const dialectCount = r.u16();
  const securityMode = r.u16();
  r.u16();
  const capabilities = r.u32();
  const clientGuid = r.bytes(16);
  const contextOffset = r.u32();
  const contextCount = r.u16();
  r.u16();
  if (dialectCount === 0) throw new DecodeError('no dialects');
  const dialects: number[] = [];
  for (let i = 0; i < dialectCount; i++) dialects.push(r.u16());
  const contexts = dialects.includes(Dialect.SMB3_1_1) ? decodeContexts(r, contextOffset, contextCount) : [];
  return { securityMode, capabilities, clientGuid, dialects, contexts };
}

function decodeContexts(r: Reader, offset: number, count: number): NegotiateContext[] {
  const out: NegotiateContext[] = [];
  if (count === 0) return out;
  r.seek(offset);
  for (let i = 0; i < count; i++) {
    if (i > 0) r.align(8);
    const type = r.u16();
    const length = r.u16();
    r.u32();
    out.push({ type, data: r.bytes(length) });
  }
  return out;
}

function encodeContexts(w: Writer, contexts: NegotiateContext[]): void {
  contexts.forEach((c, i) => {
    if (i > 0) w.align(8);
    w.u16(c.type).u16(c.data.length).u32(0).bytes(c.data);
  });
}

export function encodeNegotiateResponse(m: NegotiateResponse): Buffer {
  const w = new Writer(HEADER_SIZE);
  w.u16(ResponseStructureSize[Command.NEGOTIATE]).u16(m.securityMode).u16(m.dialect).u16(m.contexts.length).bytes(m.serverGuid);
  w.u32(m.capabilities).u32(m.maxTransactSize).u32(m.maxReadSize).u32(m.maxWriteSize);
  w.u64(m.systemTime).u64(m.serverStartTime);
  const bufferOffset = w.reserveU16();
  w.u16(m.securityBuffer.length);
  const contextOffset = w.reserveU32();
  if (m.securityBuffer.length) w.fillOffsetU16(bufferOffset);
  w.bytes(m.securityBuffer.length ? m.securityBuffer : Buffer.alloc(1));
  if (m.contexts.length) {
    w.align(8);
    w.fillOffsetU32(contextOffset);
    encodeContexts(w, m.contexts);
  }
  return w.finish();
}

export function encodeNegotiateRequest(m: NegotiateRequest): Buffer {
  const w = new Writer(HEADER_SIZE);
  w.u16(RequestStructureSize[Command.NEGOTIATE]).u16(m.dialects.length).u16(m.securityMode).u16(0).u32(m.capabilities).bytes(m.clientGuid);
  const contextOffset = w.reserveU32();
  w.u16(m.contexts.length).u16(0);
  for (const d of m.dialects) w.u16(d);
  if (m.contexts.length) {
    w.align(8);
    w.fillOffsetU32(contextOffset);
    encodeContexts(w, m.contexts);
  }
  return w.finish();
}

export function decodeNegotiateResponse(r: Reader): NegotiateResponse {
  r.u16();
  const securityMode = r.u16();
  const dialect = r.u16();
  const contextCount = r.u16();
  const serverGuid = r.bytes(16);
  const capabilities = r.u32();
  const maxTransactSize = r.u32();
  const maxReadSize = r.u32();
  const maxWriteSize = r.u32();
  const systemTime = r.u64();
  const serverStartTime = r.u64();
  const secOffset = r.u16();
  const secLength = r.u16();
  const contextOffset = r.u32();
  const securityBuffer = r.slice(secOffset, secLength);
  const contexts = dialect === Dialect.SMB3_1_1 ? decodeContexts(r, contextOffset, contextCount) : [];
  return {
    securityMode, dialect, serverGuid, capabilities, maxTransactSize, maxReadSize, maxWriteSize,
    systemTime, serverStartTime, securityBuffer, contexts,
  };
}

/** SMB2_PREAUTH_INTEGRITY_CAPABILITIES data, [MS-SMB2] 2.2.3.1.1. */
export function encodePreauthContext(hashAlgorithms: number[], salt: Buffer): NegotiateContext {
  const w = new Writer();
  w.u16(hashAlgorithms.length).u16(salt.length);
  for (const h of hashAlgorithms) w.u16(h);
  w.bytes(salt);
  return { type: NegotiateContextType.PREAUTH_INTEGRITY_CAPABILITIES, data: w.finish() };
}

export function decodePreauthContext(data: Buffer): { hashAlgorithms: number[]; salt: Buffer } {
  const r = new Reader(data);
  const count = r.u16();
  const saltLength = r.u16();
  const hashAlgorithms: number[] = [];
  for (let i = 0; i < count; i++) hashAlgorithms.push(r.u16());
  return { hashAlgorithms, salt: r.bytes(saltLength) };
}

/** A list context: ENCRYPTION (2.2.3.1.2) and SIGNING (2.2.3.1.7) are a u16 count and u16 ids. */
export function encodeIdListContext(type: number, ids: number[]): NegotiateContext {
  const w = new Writer();
  w.u16(ids.length);
  for (const id of ids) w.u16(id);
  return { type, data: w.finish() };
}

export function decodeIdListContext(data: Buffer): number[] {
  const r = new Reader(data);
  const count = r.u16();
  const ids: number[] = [];
  for (let i = 0; i < count; i++) ids.push(r.u16());
  return ids;
}
