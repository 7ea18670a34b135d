import { Reader, Writer, DecodeError } from '../../wire/index.js';

/** Connection-oriented PDU types, [C706] 12.6.4 and [MS-RPCE] 2.2.2. */
export const PduType = {
  REQUEST: 0,
  RESPONSE: 2,
  FAULT: 3,
  BIND: 11,
  BIND_ACK: 12,
  BIND_NAK: 13,
  ALTER_CONTEXT: 14,
  ALTER_CONTEXT_RESP: 15,
} as const;

/** pfc_flags, [C706] 12.6.3.1. */
export const PfcFlag = { FIRST_FRAG: 0x01, LAST_FRAG: 0x02, OBJECT_UUID: 0x80 } as const;

/** Common header: rpc_vers, rpc_vers_minor, PTYPE, pfc_flags, packed_drep[4], frag_length, auth_length, call_id, [C706] 12.6.3.1. */
export const COMMON_HEADER_SIZE = 16;
/** packed_drep for little-endian integers, ASCII characters, IEEE floats, [C706] 14.1. */
export const DREP_LITTLE_ENDIAN = 0x10;

export interface PduHeader {
  type: number;
  flags: number;
  fragLength: number;
  authLength: number;
  callId: number;
}

/** A syntax identifier: interface or transfer syntax UUID plus version, [C706] 12.6.3.1 p_syntax_id_t. */
export interface SyntaxId {
  /** Lower-case textual UUID. */
  uuid: string;
  /** if_version: major in the low 16 bits, minor in the high 16 bits. */
  version: number;
}

export interface ContextElement {
  contextId: number;
  abstractSyntax: SyntaxId;
  transferSyntaxes: SyntaxId[];
}

export interface BindRequest {
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  contexts: ContextElement[];
}

/** A presentation context result, [C706] 12.6.3.1 p_result_t. */
export interface ContextResult {
  result: number;
  reason: number;
  transferSyntax: SyntaxId;
}

export interface BindAck {
  maxXmitFrag: number;
  maxRecvFrag: number;
  assocGroupId: number;
  /** port_spec secondary address, e.g. '\PIPE\srvsvc' (NUL added on the wire). */
  secondaryAddress: string;
  results: ContextResult[];
}

export interface RpcRequest {
  allocHint: number;
  contextId: number;
  opnum: number;
  stub: Buffer;
}

export const NULL_SYNTAX: SyntaxId = { uuid: '00000000-0000-0000-0000-000000000000', version: 0 };

/** Read the 16-byte header; the caller has made sure at least that much is there. */
export function decodePduHeader(r: Reader): PduHeader {
  const major = r.u8();
  const minor = r.u8();
  const type = r.u8();
  const flags = r.u8();
  const drep = r.u8();
  r.skip(3);
  const fragLength = r.u16();
  const authLength = r.u16();
  const callId = r.u32();
  if (major !== 5 || minor !== 0) throw new DecodeError(`rpc version ${major}.${minor}`);
  if (drep !== DREP_LITTLE_ENDIAN) throw new DecodeError(`unsupported data representation 0x${drep.toString(16)}`);
  if (fragLength < COMMON_HEADER_SIZE) throw new DecodeError(`frag_length ${fragLength}`);
  return { type, flags, fragLength, authLength, callId };
}

/** frag_length of a PDU whose first bytes are in `buf` (it must hold at least the 16-byte header). */
export function peekFragLength(buf: Buffer): number {
  return new Reader(buf).sub(8, 2).u16();
}

/** UUIDs travel as a little-endian DWORD, two WORDs, then 8 bytes in order, [C706] Appendix A. */
function readUuid(r: Reader): string {
  const d1 = r.u32().toString(16).padStart(8, '0');
  const d2 = r.u16().toString(16).padStart(4, '0');
  const d3 = r.u16().toString(16).padStart(4, '0');
  const rest = r.bytes(8).toString('hex');
  return `${d1}-${d2}-${d3}-${rest.slice(0, 4)}-${rest.slice(4)}`;
}

function writeUuid(w: Writer, uuid: string): void {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`bad uuid ${uuid}`);
  w.u32(parseInt(hex.slice(0, 8), 16)).u16(parseInt(hex.slice(8, 12), 16)).u16(parseInt(hex.slice(12, 16), 16));
  w.bytes(Buffer.from(hex.slice(16), 'hex'));
}

function readSyntax(r: Reader): SyntaxId {
  return { uuid: readUuid(r), version: r.u32() };
}

function writeSyntax(w: Writer, s: SyntaxId): void {
  writeUuid(w, s.uuid);
  w.u32(s.version);
}

/** BIND and ALTER_CONTEXT body, [C706] 12.6.4.3; `r` sits after the common header. */
export function decodeBind(r: Reader): BindRequest {
  const maxXmitFrag = r.u16();
  const maxRecvFrag = r.u16();
  const assocGroupId = r.u32();
  const count = r.u8();
  r.skip(3);
  const contexts: ContextElement[] = [];
  for (let i = 0; i < count; i++) {
    const contextId = r.u16();
    const transferCount = r.u8();
    r.skip(1);
    const abstractSyntax = readSyntax(r);
    const transferSyntaxes: SyntaxId[] = [];
    for (let t = 0; t < transferCount; t++) transferSyntaxes.push(readSyntax(r));
    contexts.push({ contextId, abstractSyntax, transferSyntaxes });
  }
  return { maxXmitFrag, maxRecvFrag, assocGroupId, contexts };
}

/** REQUEST body, [C706] 12.6.4.9: alloc_hint, p_cont_id, opnum, optional object UUID, stub. */
export function decodeRequest(r: Reader, header: PduHeader): RpcRequest {
  const allocHint = r.u32();
  const contextId = r.u16();
  const opnum = r.u16();
  if (header.flags & PfcFlag.OBJECT_UUID) r.skip(16);
  return { allocHint, contextId, opnum, stub: r.bytes(r.remaining) };
}

/** Start a PDU: the common header with frag_length reserved; `finishPdu` fills it. */
function startPdu(type: number, flags: number, callId: number): { w: Writer; lengthAt: number } {
  const w = new Writer(0, 128);
  w.u8(5).u8(0).u8(type).u8(flags).u8(DREP_LITTLE_ENDIAN).zeros(3);
  const lengthAt = w.reserveU16();
  w.u16(0).u32(callId);
  return { w, lengthAt };
}

function finishPdu(p: { w: Writer; lengthAt: number }): Buffer {
  p.w.fillU16(p.lengthAt, p.w.length);
  return p.w.finish();
}

/** BIND_ACK or ALTER_CONTEXT_RESP, [C706] 12.6.4.4 (the latter with an empty secondary address). */
export function encodeBindAck(type: number, callId: number, m: BindAck): Buffer {
  const p = startPdu(type, PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG, callId);
  p.w.u16(m.maxXmitFrag).u16(m.maxRecvFrag).u32(m.assocGroupId);
  const address = m.secondaryAddress ? Buffer.from(`${m.secondaryAddress}\0`, 'latin1') : Buffer.alloc(0);
  p.w.u16(address.length).bytes(address).align(4);
  p.w.u8(m.results.length).u8(0).u16(0);
  for (const res of m.results) {
    p.w.u16(res.result).u16(res.reason);
    writeSyntax(p.w, res.transferSyntax);
  }
  return finishPdu(p);
}

/** BIND_NAK, [C706] 12.6.4.5: provider_reject_reason and the one protocol version we speak (5.0). */
export function encodeBindNak(callId: number, reason: number): Buffer {
  const p = startPdu(PduType.BIND_NAK, PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG, callId);
  p.w.u16(reason).u8(1).u8(5).u8(0).align(4);
  return finishPdu(p);
}

/** One RESPONSE fragment, [C706] 12.6.4.10: alloc_hint, p_cont_id, cancel_count, reserved, stub. */
export function encodeResponse(callId: number, flags: number, contextId: number, allocHint: number, stub: Buffer): Buffer {
  const p = startPdu(PduType.RESPONSE, flags, callId);
  p.w.u32(allocHint).u16(contextId).u8(0).u8(0).bytes(stub);
  return finishPdu(p);
}

/** FAULT, [C706] 12.6.4.7: alloc_hint, p_cont_id, cancel_count, reserved, status, reserved. */
export function encodeFault(callId: number, contextId: number, status: number, didNotExecute: boolean): Buffer {
  const DID_NOT_EXECUTE = 0x20;
  const flags = PfcFlag.FIRST_FRAG | PfcFlag.LAST_FRAG | (didNotExecute ? DID_NOT_EXECUTE : 0);
  const p = startPdu(PduType.FAULT, flags, callId);
  p.w.u32(0).u16(contextId).u8(0).u8(0).u32(status).u32(0);
  return finishPdu(p);
}
