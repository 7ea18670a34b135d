/** Hand-built DCE/RPC PDUs and NDR pieces for the pipe tests, spelled out with the independent byte builder. */
import { cat, hex, le16, le32, utf16, zeros } from './bytes.js';

/** Interface and transfer syntax ids as they travel ([C706] Appendix A byte order) plus version. */
export const SRVSVC_V3 = cat(hex('c84f324b 7016 d301 1278 5a47bf6ee188'), le16(3), le16(0));
export const NDR20 = cat(hex('045d888a eb1c c911 9fe8 08002b104860'), le32(2));
export const NDR64 = cat(hex('33057171 babe 3749 8319 b5dbef9ccc36'), le32(1));
export const FEATURE_NEGOTIATION = cat(hex('2c1cb76c 1298 4045 0300 000000000000'), le32(1));
export const NULL_SYNTAX = zeros(20);

/** Common header, [C706] 12.6.3.1: version 5.0, little-endian drep. */
export function pduHeader(type: number, flags: number, fragLength: number, callId: number, authLength = 0): Buffer {
  return cat([5, 0, type, flags, 0x10, 0, 0, 0], le16(fragLength), le16(authLength), le32(callId));
}

export function contextElement(id: number, abstract: Buffer, transfers: Buffer[]): Buffer {
  return cat(le16(id), [transfers.length, 0], abstract, ...transfers);
}

export function bindPdu(callId: number, maxRecvFrag: number, contexts: Buffer[], type = 11): Buffer {
  const body = cat(le16(4280), le16(maxRecvFrag), le32(0), [contexts.length, 0, 0, 0], ...contexts);
  return cat(pduHeader(type, 3, 16 + body.length, callId), body);
}

export function requestPdu(callId: number, contextId: number, opnum: number, stub: Buffer, flags = 3): Buffer {
  return cat(pduHeader(0, flags, 24 + stub.length, callId), le32(stub.length), le16(contextId), le16(opnum), stub);
}

export function responsePdu(callId: number, flags: number, allocHint: number, stub: Buffer): Buffer {
  return cat(pduHeader(2, flags, 24 + stub.length, callId), le32(allocHint), le16(0), [0, 0], stub);
}

export function faultPdu(callId: number, status: number, flags = 0x23, contextId = 0): Buffer {
  return cat(pduHeader(3, flags, 32, callId), le32(0), le16(contextId), [0, 0], le32(status), le32(0));
}

/** A conformant varying wchar_t string with its NUL, padded so the next 4-byte field is aligned (strings here start aligned). */
export function ndrString(s: string): Buffer {
  const units = s.length + 1;
  const pad = (units * 2) % 4 === 0 ? 0 : 2;
  return cat(le32(units), le32(0), le32(units), utf16(s), zeros(2), zeros(pad));
}

export const REF = (n: number): Buffer => le32(0x00020000 + 4 * n);
