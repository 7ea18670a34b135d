import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';

/** SESSION_SETUP request, [MS-SMB2] 2.2.5. */
export interface SessionSetupRequest {
  flags: number;
  securityMode: number;
  capabilities: number;
  previousSessionId: bigint;
  securityBuffer: Buffer;
}

/** SESSION_SETUP response, [MS-SMB2] 2.2.6. */
export interface SessionSetupResponse {
  sessionFlags: number;
  securityBuffer: Buffer;
}

export function decodeSessionSetupRequest(r: Reader): SessionSetupRequest {
  r.u16();
  const flags = r.u8();
  const securityMode = r.u8();
  const capabilities = r.u32();
  r.u32(); // Channel
  const offset = r.u16();
  const length = r.u16();
  const previousSessionId = r.u64();
  return { flags, securityMode, capabilities, previousSessionId, securityBuffer: r.slice(offset, length) };
}

export function encodeSessionSetupResponse(m: SessionSetupResponse): Buffer {
  const w = new Writer(HEADER_SIZE);
  w.u16(ResponseStructureSize[Command.SESSION_SETUP]).u16(m.sessionFlags);
  const bufferOffset = w.reserveU16();
  w.u16(m.securityBuffer.length).fillOffsetU16(bufferOffset);
  w.bytes(m.securityBuffer.length ? m.securityBuffer : Buffer.alloc(1));
  return w.finish();
}

export function encodeSessionSetupRequest(m: SessionSetupRequest): Buffer {
  const w = new Writer(HEADER_SIZE);
  w.u16(RequestStructureSize[Command.SESSION_SETUP]).u8(m.flags).u8(m.securityMode).u32(m.capabilities).u32(0);
  const bufferOffset = w.reserveU16();
  w.u16(m.securityBuffer.length).u64(m.previousSessionId).fillOffsetU16(bufferOffset);
  w.bytes(m.securityBuffer.length ? m.securityBuffer : Buffer.alloc(1));
  return w.finish();
}

export function decodeSessionSetupResponse(r: Reader): SessionSetupResponse {
  r.u16();
  const sessionFlags = r.u16();
  const offset = r.u16();
  const length = r.u16();
  return { sessionFlags, securityBuffer: r.slice(offset, length) };
}
