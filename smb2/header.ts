import { Reader, Writer, DecodeError } from '../wire/index.js';
import { HEADER_SIZE, HeaderFlag } from './constants.js';

/** 0xFE 'S' 'M' 'B', [MS-SMB2] 2.2.1. */
export const SMB2_PROTOCOL_ID = 0x424d53fe;
/** 0xFF 'S' 'M' 'B': an SMB1 message, [MS-SMB] 2.2.3.1. */
export const SMB1_PROTOCOL_ID = 0x424d53ff;

/**
 * SMB2 packet header, [MS-SMB2] 2.2.1.1 (async) and 2.2.1.2 (sync).
 * `status` doubles as ChannelSequence/Reserved in requests; `asyncId` is set only
 * when Flags has ASYNC_COMMAND, otherwise `treeId` is.
 */
export interface Smb2Header {
  creditCharge: number;
  status: number;
  command: number;
  /** CreditRequest in requests, CreditResponse in responses. */
  credits: number;
  flags: number;
  nextCommand: number;
  messageId: bigint;
  treeId: number;
  asyncId: bigint;
  sessionId: bigint;
  signature: Buffer;
}


export function decodeHeader(r: Reader): Smb2Header {
  if (r.u32() !== SMB2_PROTOCOL_ID) throw new DecodeError('not an SMB2 header');
  if (r.u16() !== HEADER_SIZE) throw new DecodeError('bad SMB2 header StructureSize');
  const creditCharge = r.u16();
  const status = r.u32();
  const command = r.u16();
  const credits = r.u16();
  const flags = r.u32();
  const nextCommand = r.u32();
  const messageId = r.u64();
  let treeId = 0;
  let asyncId = 0n;
  if (flags & HeaderFlag.ASYNC_COMMAND) {
    asyncId = r.u64();
  } else {
    r.u32(); // Reserved (ProcessId)
    treeId = r.u32();
  }
  const sessionId = r.u64();
  const signature = r.bytes(16);
  return { creditCharge, status, command, credits, flags, nextCommand, messageId, treeId, asyncId, sessionId, signature };
}

/** A header to encode; without a 16-byte `signature` the field is written as zeros (for the sign stage to fill). */
export type Smb2HeaderFields = Omit<Smb2Header, 'signature'> & { signature?: Buffer };

export function encodeHeader(w: Writer, h: Smb2HeaderFields): Writer {
  w.u32(SMB2_PROTOCOL_ID).u16(HEADER_SIZE).u16(h.creditCharge).u32(h.status).u16(h.command).u16(h.credits);
  w.u32(h.flags).u32(h.nextCommand).u64(h.messageId);
  if (h.flags & HeaderFlag.ASYNC_COMMAND) w.u64(h.asyncId);
  else w.u32(0).u32(h.treeId);
  w.u64(h.sessionId);
  if (h.signature?.length === 16) w.bytes(h.signature);
  else w.zeros(16);
  return w;
}

export function headerDefaults(partial: Partial<Smb2Header> & Pick<Smb2Header, 'command'>): Smb2Header {
  return {
    creditCharge: 0,
    status: 0,
    credits: 0,
    flags: 0,
    nextCommand: 0,
    messageId: 0n,
    treeId: 0,
    asyncId: 0n,
    sessionId: 0n,
    signature: Buffer.alloc(16),
    ...partial,
  };
}

/** Byte offsets inside the header that code patches after encoding, [MS-SMB2] 2.2.1.2. */
export const HeaderOffset = { FLAGS: 16, NEXT_COMMAND: 20, SIGNATURE: 48 } as const;
