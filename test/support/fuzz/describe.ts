/** A one-line account of fuzz inputs for corpus entries and reports: commands, header faults, READ/WRITE sizes. */
import { commandName, HeaderFlag } from '../../../smb2/constants.js';
import { headerOffsets, H } from './frame.js';
import type { FuzzInput } from './generator.js';

function describePdu(b: Buffer, at: number, firstId: bigint | null): string {
  const command = b.readUInt16LE(at + H.COMMAND);
  const flags = b.readUInt32LE(at + H.FLAGS);
  const id = b.readBigUInt64LE(at + H.MESSAGE_ID);
  const notes: string[] = [];
  if (flags & HeaderFlag.SERVER_TO_REDIR) notes.push('SERVER_TO_REDIR');
  if (flags & HeaderFlag.RELATED_OPERATIONS) notes.push('related');
  if (firstId !== null && id === firstId) notes.push('reused MessageId');
  const body = at + H.SIZE;
  if ((commandName(command) === 'READ' || commandName(command) === 'WRITE') && b.length >= body + 16) {
    notes.push(`len ${b.readUInt32LE(body + 4)} @ ${b.readBigUInt64LE(body + 8)}`);
  }
  if (commandName(command) === 'SET_INFO' && b.length >= body + 40 && b[body + 3] === 0x14) notes.push(`EndOfFile ${b.readBigUInt64LE(body + 32)}`);
  return `${commandName(command)}${notes.length ? `(${notes.join(', ')})` : ''}`;
}

export function describeInput(input: FuzzInput): string {
  if (input.raw) return `raw ${input.bytes.length} bytes`;
  const offsets = headerOffsets(input.bytes);
  const firstId = offsets.length > 1 ? input.bytes.readBigUInt64LE(offsets[0] + H.MESSAGE_ID) : null;
  return offsets.map((at, i) => describePdu(input.bytes, at, i > 0 ? firstId : null)).join(' + ') || `${input.bytes.length} bytes, no header`;
}

export function describeInputs(inputs: FuzzInput[]): string[] {
  return inputs.map(describeInput);
}
