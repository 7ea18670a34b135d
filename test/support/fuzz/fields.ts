/**
 * Where the fields of each request body are, [MS-SMB2] 2.2.3 - 2.2.39 (offsets from the start
 * of the body, after the 64-byte header), so mutations hit lengths, offsets and ids rather
 * than random bytes.
 */
import { Command } from '../../../smb2/constants.js';

export type FieldSize = 1 | 2 | 4 | 8 | 16;
export interface Field {
  name: string;
  at: number;
  size: FieldSize;
}

const f = (name: string, at: number, size: FieldSize): Field => ({ name, at, size });
const structureSize = f('StructureSize', 0, 2);

export const REQUEST_FIELDS: Record<number, Field[]> = {
  [Command.NEGOTIATE]: [structureSize, f('DialectCount', 2, 2), f('SecurityMode', 4, 2), f('Capabilities', 8, 4), f('NegotiateContextOffset', 28, 4), f('NegotiateContextCount', 32, 2), f('Dialect0', 36, 2)],
  [Command.SESSION_SETUP]: [structureSize, f('Flags', 2, 1), f('SecurityMode', 3, 1), f('Channel', 8, 4), f('SecurityBufferOffset', 12, 2), f('SecurityBufferLength', 14, 2), f('PreviousSessionId', 16, 8)],
  [Command.LOGOFF]: [structureSize],
  [Command.TREE_CONNECT]: [structureSize, f('Flags', 2, 2), f('PathOffset', 4, 2), f('PathLength', 6, 2)],
  [Command.TREE_DISCONNECT]: [structureSize],
  [Command.CREATE]: [
    structureSize, f('RequestedOplockLevel', 3, 1), f('ImpersonationLevel', 4, 4), f('DesiredAccess', 24, 4), f('FileAttributes', 28, 4), f('ShareAccess', 32, 4),
    f('CreateDisposition', 36, 4), f('CreateOptions', 40, 4), f('NameOffset', 44, 2), f('NameLength', 46, 2), f('CreateContextsOffset', 48, 4), f('CreateContextsLength', 52, 4),
  ],
  [Command.CLOSE]: [structureSize, f('Flags', 2, 2), f('FileId', 8, 16)],
  [Command.FLUSH]: [structureSize, f('FileId', 8, 16)],
  [Command.READ]: [
    structureSize, f('Flags', 3, 1), f('Length', 4, 4), f('Offset', 8, 8), f('FileId', 16, 16), f('MinimumCount', 32, 4), f('Channel', 36, 4),
    f('ReadChannelInfoOffset', 44, 2), f('ReadChannelInfoLength', 46, 2),
  ],
  [Command.WRITE]: [
    structureSize, f('DataOffset', 2, 2), f('Length', 4, 4), f('Offset', 8, 8), f('FileId', 16, 16), f('Channel', 32, 4),
    f('WriteChannelInfoOffset', 40, 2), f('WriteChannelInfoLength', 42, 2), f('Flags', 44, 4),
  ],
  [Command.LOCK]: [structureSize, f('LockCount', 2, 2), f('FileId', 8, 16), f('Lock0.Offset', 24, 8), f('Lock0.Length', 32, 8), f('Lock0.Flags', 40, 4)],
  [Command.IOCTL]: [
    structureSize, f('CtlCode', 4, 4), f('FileId', 8, 16), f('InputOffset', 24, 4), f('InputCount', 28, 4), f('MaxInputResponse', 32, 4),
    f('OutputOffset', 36, 4), f('OutputCount', 40, 4), f('MaxOutputResponse', 44, 4), f('Flags', 48, 4), f('Input0', 56, 8),
  ],
  [Command.CANCEL]: [structureSize],
  [Command.ECHO]: [structureSize],
  [Command.QUERY_DIRECTORY]: [structureSize, f('FileInformationClass', 2, 1), f('Flags', 3, 1), f('FileIndex', 4, 4), f('FileId', 8, 16), f('FileNameOffset', 24, 2), f('FileNameLength', 26, 2), f('OutputBufferLength', 28, 4)],
  [Command.QUERY_INFO]: [structureSize, f('InfoType', 2, 1), f('FileInfoClass', 3, 1), f('OutputBufferLength', 4, 4), f('InputBufferOffset', 8, 2), f('InputBufferLength', 12, 4), f('AdditionalInformation', 16, 4), f('FileId', 24, 16)],
  [Command.SET_INFO]: [structureSize, f('InfoType', 2, 1), f('FileInfoClass', 3, 1), f('BufferLength', 4, 4), f('BufferOffset', 8, 2), f('FileId', 16, 16), f('Buffer.u64', 32, 8)],
};

/** Values that sit on boundaries (signedness, 24-bit frames, 8 MiB I/O, 2^32, sparse giants). */
export const INTERESTING: Record<Exclude<FieldSize, 16>, bigint[]> = {
  1: [0n, 1n, 0x7fn, 0x80n, 0xffn],
  2: [0n, 1n, 0x40n, 0x41n, 0x78n, 0x7fffn, 0x8000n, 0xfffen, 0xffffn],
  4: [0n, 1n, 0x40n, 0xfffn, 0x1000n, 0xffffn, 0x10000n, 0x7fffffn, 0x800000n, 0x800001n, 0xffffffn, 0x1000000n, 0x7fffffffn, 0x80000000n, 0xffffffffn],
  8: [0n, 1n, 0xfffn, 0x1000n, 0xffffffffn, 0x100000000n, 1n << 36n, 1n << 40n, (1n << 53n) - 1n, 1n << 53n, 1n << 62n, 1n << 63n, 0xffffffffffffffffn],
};

export function writeField(buf: Buffer, at: number, size: Exclude<FieldSize, 16>, value: bigint): void {
  if (at + size > buf.length) return;
  const masked = BigInt.asUintN(size * 8, value);
  if (size === 8) buf.writeBigUInt64LE(masked, at);
  else if (size === 4) buf.writeUInt32LE(Number(masked), at);
  else if (size === 2) buf.writeUInt16LE(Number(masked), at);
  else buf[at] = Number(masked);
}
