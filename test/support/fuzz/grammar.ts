/**
 * Valid SMB2 request bodies, built with the project's own codecs (smb2/commands/*), for the
 * handles and names a fuzz session holds. The mutators then break them field by field.
 */
import { Command, Dialect, HashAlgorithm, NegotiateContextType, SigningAlgorithm } from '../../../smb2/constants.js';
import { encodeNegotiateRequest, encodePreauthContext, encodeIdListContext } from '../../../smb2/commands/negotiate.js';
import { encodeSessionSetupRequest } from '../../../smb2/commands/session-setup.js';
import { encodeTreeConnectRequest } from '../../../smb2/commands/tree-connect.js';
import { encodeCreateRequest, type FileId, type CreateContext } from '../../../smb2/commands/create.js';
import { encodeReadRequest } from '../../../smb2/commands/read.js';
import { encodeWriteRequestHeader } from '../../../smb2/commands/write.js';
import { encodeCloseRequest } from '../../../smb2/commands/close.js';
import { encodeFlushRequest } from '../../../smb2/commands/flush.js';
import { encodeQueryDirectoryRequest } from '../../../smb2/commands/query-directory.js';
import { encodeQueryInfoRequest } from '../../../smb2/commands/query-info.js';
import { encodeSetInfoRequest } from '../../../smb2/commands/set-info.js';
import { encodeIoctlRequest } from '../../../smb2/commands/ioctl.js';
import { encodeLockRequest } from '../../../smb2/commands/lock.js';
import { encodeEmptyBody } from '../../../smb2/commands/simple.js';
import { ClientAuthExchange } from '../../../auth/ntlm-client.js';
import type { Rng } from './rng.js';

/** One request before it is framed: the command, its body, and the credits it should charge. */
export interface Pdu {
  command: number;
  body: Buffer;
  creditCharge: number;
}

/** The handles and names of a fuzz session (file ids are the server's, learned during setup). */
export interface SessionHandles {
  small: FileId;
  big: FileId;
  dir: FileId;
  scratch: FileId;
  scratchName: string;
}

export const RELATED: FileId = { persistent: 0xffffffffffffffffn, volatile: 0xffffffffffffffffn };
export const MiB = 1024 * 1024;
/** Offsets that have broken servers: page and credit boundaries, 2^31/2^32, and sparse giants. */
export const OFFSETS = [0, 1, 4095, 4096, 65535, 65536, MiB, 8 * MiB - 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 36, 2 ** 40, 2 ** 53 - 1];
/** OFFSETS below 2^32, once giant values are off (see MutationOptions.giantValues). */
const SMALL_OFFSETS = OFFSETS.filter((o) => o < 2 ** 32);
export const LENGTHS = [0, 1, 100, 4096, 65536, 65537, MiB, 8 * MiB, 8 * MiB + 1];

const CREDIT_UNIT = 65536;
export function chargeFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / CREDIT_UNIT));
}

export function negotiatePdu(rng: Rng, dialects: number[] = [Dialect.SMB2_0_2, Dialect.SMB2_1, Dialect.SMB3_0, Dialect.SMB3_0_2, Dialect.SMB3_1_1]): Pdu {
  const contexts = dialects.includes(Dialect.SMB3_1_1)
    ? [encodePreauthContext([HashAlgorithm.SHA_512], rng.bytes(32)), encodeIdListContext(NegotiateContextType.SIGNING_CAPABILITIES, [SigningAlgorithm.AES_CMAC])]
    : [];
  const body = encodeNegotiateRequest({ securityMode: 1, capabilities: 0x44, clientGuid: rng.bytes(16), dialects, contexts });
  return { command: Command.NEGOTIATE, body, creditCharge: 0 };
}

export function sessionSetupPdu(token: Buffer, previousSessionId = 0n): Pdu {
  const body = encodeSessionSetupRequest({ flags: 0, securityMode: 1, capabilities: 0, previousSessionId, securityBuffer: token });
  return { command: Command.SESSION_SETUP, body, creditCharge: 1 };
}

/** The first NTLM leg as spliced's client sends it (its bytes do not depend on the server). */
export function ntlmNegotiateToken(user = 'alice', password = 'x'): Buffer {
  return new ClientAuthExchange({ user, password }).first();
}

export function treeConnectPdu(share: string): Pdu {
  return { command: Command.TREE_CONNECT, body: encodeTreeConnectRequest({ flags: 0, path: `\\\\127.0.0.1\\${share}` }), creditCharge: 1 };
}

export function createPdu(name: string, o: { disposition?: number; options?: number; access?: number; contexts?: CreateContext[] } = {}): Pdu {
  const body = encodeCreateRequest({
    requestedOplockLevel: 0, impersonationLevel: 2, desiredAccess: o.access ?? 0x12019f, fileAttributes: 0, shareAccess: 7,
    createDisposition: o.disposition ?? 1, createOptions: o.options ?? 0, name, contexts: o.contexts ?? [],
  });
  return { command: Command.CREATE, body, creditCharge: 1 };
}

export function readPdu(fileId: FileId, offset: number, length: number, channel = 0): Pdu {
  const body = encodeReadRequest({ flags: 0, length, offset, fileId, minimumCount: 0, channel, remainingBytes: 0, channelInfo: [] });
  return { command: Command.READ, body, creditCharge: chargeFor(length) };
}

export function writePdu(fileId: FileId, offset: number, data: Buffer, flags = 0): Pdu {
  const head = encodeWriteRequestHeader({ offset, fileId, channel: 0, remainingBytes: 0, flags, channelInfo: [], length: data.length });
  return { command: Command.WRITE, body: Buffer.concat([head, data]), creditCharge: chargeFor(data.length) };
}

export function setEndOfFilePdu(fileId: FileId, size: bigint): Pdu {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(size);
  return setInfoPdu(fileId, 0x14, buffer);
}

export function setInfoPdu(fileId: FileId, infoClass: number, buffer: Buffer, infoType = 1): Pdu {
  return { command: Command.SET_INFO, body: encodeSetInfoRequest({ infoType, infoClass, buffer, additionalInformation: 0, fileId }), creditCharge: 1 };
}

export function closePdu(fileId: FileId): Pdu {
  return { command: Command.CLOSE, body: encodeCloseRequest({ flags: 1, fileId }), creditCharge: 1 };
}

export function emptyPdu(command: number): Pdu {
  return { command, body: encodeEmptyBody(), creditCharge: 1 };
}

function anyFile(rng: Rng, h: SessionHandles): FileId {
  return rng.weighted<FileId>([[4, h.scratch], [3, h.small], [2, h.big], [2, h.dir], [1, RELATED], [1, { persistent: 77n, volatile: 77n }]]);
}

const NAMES = ['small.txt', 'big.bin', 'dir', 'dir\\a.txt', 'new.txt', '', '..\\..\\etc\\passwd', 'a:stream', 'dir\\..\\small.txt', 'x'.repeat(300), 'con', '\ud800x', 'scratch'];
const CONTEXTS: CreateContext[] = [
  { name: 'MxAc', data: Buffer.alloc(0) },
  { name: 'QFid', data: Buffer.alloc(0) },
  { name: 'DHnQ', data: Buffer.alloc(16) },
  { name: 'RqLs', data: Buffer.alloc(32) },
  { name: 'TWrp', data: Buffer.alloc(8) },
  { name: 'AlSi', data: Buffer.alloc(8, 0xff) },
];
const FSCTLS = [0x00140204, 0x001401fc, 0x0011c017, 0x001440f2, 0x00140078, 0x000900c4, 0x000980c8, 0x000940cf, 0x000900a8, 0x00060194, 0x12345678];
const QUERY_CLASSES: Array<[number, number]> = [[1, 4], [1, 5], [1, 6], [1, 0x12], [1, 0x16], [1, 0x22], [1, 0x0e], [1, 0x3b], [2, 1], [2, 3], [2, 7], [3, 0], [4, 0], [1, 0xff]];

/** A valid post-authentication request chosen with the given weights; far offsets only with `giantValues`. */
export function postAuthPdu(rng: Rng, h: SessionHandles, o: { giantValues: boolean }): Pdu {
  const offsets = o.giantValues ? OFFSETS : SMALL_OFFSETS;
  const kind = rng.weighted<string>([
    [10, 'read'], [10, 'write'], [6, 'create'], [4, 'querydir'], [6, 'queryinfo'], [8, 'setinfo'], [5, 'ioctl'], [4, 'lock'],
    [3, 'flush'], [2, 'close'], [3, 'echo'], [2, 'cancel'], [1, 'logoff'], [1, 'treedisc'], [1, 'treeconn'], [1, 'sessetup'], [1, 'negotiate'],
  ]);
  switch (kind) {
    case 'read':
      return readPdu(rng.pick([h.big, h.small, h.scratch, anyFile(rng, h)]), rng.chance(0.7) ? rng.int(9 * MiB) : rng.pick(offsets), rng.pick(LENGTHS), rng.chance(0.05) ? 1 : 0);
    case 'write': {
      const data = rng.bytes(rng.pick([1, 7, 512, 4096, 5000, 65536]));
      return writePdu(rng.chance(0.8) ? h.scratch : anyFile(rng, h), rng.chance(0.6) ? rng.int(2 * MiB) : rng.pick(offsets), data, rng.chance(0.1) ? 1 : 0);
    }
    case 'create':
      return createPdu(rng.pick([...NAMES, h.scratchName]), {
        disposition: rng.int(6), options: rng.pick([0, 1, 0x40, 0x1000, 0x200000, 0x20]), access: rng.pick([0x12019f, 0x80, 0x10000, 0x120089, 0x2000000]),
        contexts: rng.chance(0.3) ? [rng.pick(CONTEXTS)] : [],
      });
    case 'querydir': {
      const body = encodeQueryDirectoryRequest({
        infoClass: rng.pick([1, 2, 3, 0x0c, 0x25, 0x26, 0x3c, 0x99]), flags: rng.pick([0, 1, 2, 0x10]), fileIndex: 0,
        fileId: rng.chance(0.8) ? h.dir : anyFile(rng, h), pattern: rng.pick(['*', 'a*', '', '?', '<', 'small.txt']), outputBufferLength: rng.pick([0, 1, 100, 4096, 65536, MiB]),
      });
      return { command: Command.QUERY_DIRECTORY, body, creditCharge: 1 };
    }
    case 'queryinfo': {
      const [infoType, infoClass] = rng.pick(QUERY_CLASSES);
      const body = encodeQueryInfoRequest({ infoType, infoClass, outputBufferLength: rng.pick([0, 8, 100, 4096, 65536]), input: Buffer.alloc(0), additionalInformation: rng.pick([0, 7, 0xffffffff]), flags: 0, fileId: anyFile(rng, h) });
      return { command: Command.QUERY_INFO, body, creditCharge: 1 };
    }
    case 'setinfo':
      return setInfoBody(rng, h, offsets);
    case 'ioctl': {
      const body = encodeIoctlRequest({ ctlCode: rng.pick(FSCTLS), fileId: anyFile(rng, h), input: ioctlInput(rng, offsets), maxInputResponse: 0, maxOutputResponse: rng.pick([0, 24, 4096, 65536]), flags: 1 });
      return { command: Command.IOCTL, body, creditCharge: 1 };
    }
    case 'lock': {
      const locks = Array.from({ length: 1 + rng.int(3) }, () => ({ offset: BigInt(rng.pick(offsets)), length: rng.pick([0n, 1n, 10n, 0xffffffffffffffffn]), flags: rng.pick([1, 2, 4, 0x11, 0x12, 0x10, 7]) }));
      return { command: Command.LOCK, body: encodeLockRequest({ lockSequence: 0, fileId: anyFile(rng, h), locks }), creditCharge: 1 };
    }
    case 'flush':
      return { command: Command.FLUSH, body: encodeFlushRequest({ fileId: anyFile(rng, h) }), creditCharge: 1 };
    case 'close':
      return closePdu(rng.chance(0.7) ? { persistent: 99n, volatile: 99n } : anyFile(rng, h));
    case 'echo':
      return emptyPdu(Command.ECHO);
    case 'cancel':
      return emptyPdu(Command.CANCEL);
    case 'logoff':
      return emptyPdu(Command.LOGOFF);
    case 'treedisc':
      return emptyPdu(Command.TREE_DISCONNECT);
    case 'treeconn':
      return treeConnectPdu(rng.pick(['share', 'ro', 'private', 'IPC$', 'nope', 'x'.repeat(100)]));
    case 'sessetup':
      return sessionSetupPdu(rng.chance(0.5) ? ntlmNegotiateToken() : rng.bytes(rng.int(200)));
    default:
      return negotiatePdu(rng);
  }
}

function setInfoBody(rng: Rng, h: SessionHandles, offsets: number[]): Pdu {
  const file = rng.chance(0.7) ? h.scratch : anyFile(rng, h);
  switch (rng.int(6)) {
    case 0:
    case 1: {
      const size = rng.chance(0.5) ? BigInt(rng.int(4 * MiB)) : BigInt(rng.pick(offsets));
      return setEndOfFilePdu(file, rng.chance(0.05) && offsets === OFFSETS ? 0xffffffffffffffffn : size);
    }
    case 2:
      return setInfoPdu(file, 0x04, rng.chance(0.8) ? Buffer.alloc(40) : rng.bytes(40)); // FileBasicInformation
    case 3:
      return setInfoPdu(file, 0x0d, Buffer.from([rng.int(2)])); // FileDispositionInformation
    case 4: {
      const name = Buffer.from(rng.pick(['renamed.txt', 'dir\\moved', '..\\escape', h.scratchName]), 'utf16le');
      const info = Buffer.alloc(20 + name.length);
      info[0] = rng.int(2);
      info.writeUInt32LE(name.length, 16);
      name.copy(info, 20);
      return setInfoPdu(file, 0x0a, info); // FileRenameInformation
    }
    default:
      return setInfoPdu(file, rng.pick([0x13, 0x0e, 0x10, 0x27, 0x99]), offsets === OFFSETS ? rng.bytes(rng.pick([0, 4, 8, 16])) : Buffer.alloc(8));
  }
}

function ioctlInput(rng: Rng, offsets: number[]): Buffer {
  const b = Buffer.alloc(rng.pick([0, 8, 16, 24, 32]));
  for (let at = 0; at + 8 <= b.length; at += 8) b.writeBigUInt64LE(BigInt(rng.pick(offsets)), at);
  return b;
}
