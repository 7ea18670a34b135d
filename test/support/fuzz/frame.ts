/**
 * Framing of fuzz requests: SMB2 headers from the independent test builder
 * (test/support/server-pdus.ts), compounds with 8-byte aligned NextCommand, [MS-SMB2] 3.2.4.1.4.
 */
import { smb2Header } from '../server-pdus.js';
import { Command, HeaderFlag } from '../../../smb2/constants.js';
import type { Pdu } from './grammar.js';

/** The header fields of one request of a frame. */
export interface HeaderPlan {
  command: number;
  messageId: bigint;
  creditCharge: number;
  credits: number;
  flags: number;
  treeId: number;
  sessionId: bigint;
}

export interface PlannedPdu {
  header: HeaderPlan;
  body: Buffer;
}

/** Header offsets, [MS-SMB2] 2.2.1.2. */
export const H = { PROTOCOL: 0, STRUCTURE_SIZE: 4, CREDIT_CHARGE: 6, COMMAND: 12, FLAGS: 16, NEXT_COMMAND: 20, MESSAGE_ID: 24, TREE_ID: 36, SESSION_ID: 40, SIZE: 64 } as const;

export function plan(pdu: Pdu, o: { messageId: bigint; treeId: number; sessionId: bigint }): PlannedPdu {
  return { header: { command: pdu.command, messageId: o.messageId, creditCharge: pdu.creditCharge, credits: 64, flags: 0, treeId: o.treeId, sessionId: o.sessionId }, body: pdu.body };
}

/** One SMB2 message (maybe a compound) from planned requests. */
export function assemble(pdus: PlannedPdu[]): Buffer {
  const parts: Buffer[] = [];
  pdus.forEach((p, i) => {
    const last = i === pdus.length - 1;
    const size = H.SIZE + p.body.length;
    const pad = last ? 0 : (8 - (size % 8)) % 8;
    parts.push(smb2Header({ ...p.header, nextCommand: last ? 0 : size + pad }), p.body, Buffer.alloc(pad));
  });
  return Buffer.concat(parts);
}

/** The headers of a message as far as its NextCommand chain can be followed. */
export function headerOffsets(message: Buffer): number[] {
  const out: number[] = [];
  let at = 0;
  while (message.length - at >= H.SIZE && out.length < 64) {
    out.push(at);
    const next = message.readUInt32LE(at + H.NEXT_COMMAND);
    if (next === 0 || next < H.SIZE || at + next > message.length) break;
    at += next;
  }
  return out;
}

/** Commands of a message, for finding signatures ("READ+ECHO"). */
export function commandsOf(message: Buffer): number[] {
  return headerOffsets(message).map((at) => message.readUInt16LE(at + H.COMMAND));
}

/** False when the server answers nothing: a lone CANCEL, [MS-SMB2] 3.3.5.16. */
export function expectsAnswer(message: Buffer): boolean {
  const commands = commandsOf(message);
  return commands.length === 0 || commands.some((c) => c !== Command.CANCEL);
}

export function isResponse(message: Buffer): boolean {
  return message.length >= H.SIZE && (message.readUInt32LE(H.FLAGS) & HeaderFlag.SERVER_TO_REDIR) !== 0;
}

/** Credits granted by a response frame (all its elements). */
export function grantedCredits(message: Buffer): number {
  let n = 0;
  for (const at of headerOffsets(message)) n += message.readUInt16LE(at + 14);
  return n;
}

/** Message ids a request frame consumes: max(1, CreditCharge) per element. */
export function creditsUsed(message: Buffer): number {
  let n = 0;
  for (const at of headerOffsets(message)) n += Math.max(1, message.readUInt16LE(at + H.CREDIT_CHARGE));
  return n;
}
