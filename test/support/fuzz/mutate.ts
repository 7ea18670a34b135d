/** Mutations of request bodies (field-aware), headers and whole frames. */
import { HeaderFlag } from '../../../smb2/constants.js';
import { REQUEST_FIELDS, INTERESTING, writeField, type Field } from './fields.js';
import { H, type HeaderPlan } from './frame.js';
import type { Rng } from './rng.js';

/** Values whose use as an offset or size is known to stall the current cache; dropped once saturated. */
export const GIANT = 1n << 32n;

export interface MutationOptions {
  /** Allow 64-bit values of 2^32 and more (offsets, sizes). */
  giantValues: boolean;
}

function interestingFor(rng: Rng, field: Field, o: MutationOptions): bigint {
  if (field.size === 16) return 0n;
  let values = INTERESTING[field.size];
  if (field.size === 8 && !o.giantValues) values = values.filter((v) => v < GIANT);
  return rng.pick(values);
}

function mutateField(rng: Rng, command: number, body: Buffer, o: MutationOptions): Buffer {
  const fields = REQUEST_FIELDS[command] ?? [];
  if (fields.length === 0) return flipBytes(rng, body);
  const field = rng.pick(fields);
  if (field.size === 16) {
    const id = rng.pick([0n, 1n, 2n, 3n, 4n, 5n, 0xffffffffffffffffn, BigInt(rng.u32())]);
    if (field.at + 16 <= body.length) {
      body.writeBigUInt64LE(rng.chance(0.8) ? id : BigInt(rng.u32()), field.at);
      body.writeBigUInt64LE(id, field.at + 8);
    }
    return body;
  }
  const value = rng.chance(0.85) ? interestingFor(rng, field, o) : BigInt(rng.u32());
  writeField(body, field.at, field.size, value);
  return body;
}

function flipBytes(rng: Rng, body: Buffer): Buffer {
  if (body.length === 0) return body;
  for (let i = 1 + rng.int(4); i > 0; i--) body[rng.int(body.length)] ^= 1 << rng.int(8);
  return body;
}

/** With giant values off, bring every 64-bit field of the body below 2^32 again (bit flips and splices make them too). */
export function clampGiant(command: number, body: Buffer): Buffer {
  for (const field of REQUEST_FIELDS[command] ?? []) {
    if (field.size === 8 && field.at + 8 <= body.length && body.readBigUInt64LE(field.at) >= GIANT) body.writeBigUInt64LE(body.readBigUInt64LE(field.at) % GIANT, field.at);
  }
  return body;
}

/** One mutation of a request body (a copy): field value, truncation, growth, bit flips or a splice. */
export function mutateBody(rng: Rng, command: number, body: Buffer, donor: Buffer, o: MutationOptions): Buffer {
  const b = mutateCopy(rng, command, Buffer.from(body), donor, o);
  return o.giantValues ? b : clampGiant(command, b);
}

function mutateCopy(rng: Rng, command: number, b: Buffer, donor: Buffer, o: MutationOptions): Buffer {
  switch (rng.weighted<string>([[6, 'field'], [2, 'truncate'], [1, 'grow'], [2, 'flip'], [1, 'splice']])) {
    case 'field':
      return mutateField(rng, command, b, o);
    case 'truncate':
      return b.subarray(0, rng.int(b.length + 1));
    case 'grow':
      return Buffer.concat([b, rng.bytes(rng.pick([1, 7, 64, 4096]))]);
    case 'flip':
      return flipBytes(rng, b);
    default: {
      const cut = rng.int(b.length + 1);
      return Buffer.concat([b.subarray(0, cut), donor.subarray(rng.int(donor.length + 1))]);
    }
  }
}

/** One mutation of a planned header; `previousId` is a message id already used on this connection. */
export function mutateHeader(rng: Rng, h: HeaderPlan, previousId: bigint): HeaderPlan {
  const m = { ...h };
  switch (rng.weighted<string>([[3, 'reuse'], [1, 'far'], [4, 'flags'], [3, 'charge'], [2, 'session'], [2, 'tree'], [1, 'command'], [1, 'credits']])) {
    case 'reuse':
      m.messageId = previousId;
      break;
    case 'far':
      m.messageId = rng.pick([h.messageId + 1000n, 1n << 63n, 0xffffffffffffffffn, 0xfffffffffffffffen]);
      break;
    case 'flags':
      m.flags = rng.chance(0.8)
        ? h.flags ^ rng.pick([HeaderFlag.SERVER_TO_REDIR, HeaderFlag.ASYNC_COMMAND, HeaderFlag.RELATED_OPERATIONS, HeaderFlag.SIGNED, HeaderFlag.DFS_OPERATIONS, HeaderFlag.REPLAY_OPERATION, 0x70])
        : rng.u32();
      break;
    case 'charge':
      m.creditCharge = rng.pick([0, 1, 2, 127, 128, 129, 0x7fff, 0xffff]);
      break;
    case 'session':
      m.sessionId = rng.pick([0n, h.sessionId + 1n, 0xffffffffffffffffn, BigInt(rng.u32())]);
      break;
    case 'tree':
      m.treeId = rng.pick([0, 2, 0xffffffff, rng.u32()]);
      break;
    case 'command':
      m.command = rng.pick([0x0f, 0x12, 0x13, 0xff, 0xffff, rng.int(0x13)]);
      break;
    default:
      m.credits = rng.pick([0, 0xffff]);
  }
  return m;
}

/** A mutation of the assembled message: header bytes, NextCommand, truncation or trailing junk. */
export function mutateFrame(rng: Rng, message: Buffer): Buffer {
  const b = Buffer.from(message);
  switch (rng.int(5)) {
    case 0:
      if (b.length >= H.SIZE) b.writeUInt16LE(rng.pick([0, 63, 65, 0xffff]), H.STRUCTURE_SIZE);
      return b;
    case 1:
      if (b.length >= 4) b.writeUInt32LE(rng.pick([0x424d53fd, 0x424d53ff, 0x424d5300, 0]), H.PROTOCOL);
      return b;
    case 2:
      if (b.length >= H.SIZE) b.writeUInt32LE(rng.pick([8, 60, 64, 65, 72, b.length, b.length + 8, 0xfffffff8]), H.NEXT_COMMAND);
      return b;
    case 3:
      return b.subarray(0, rng.int(b.length));
    default:
      return Buffer.concat([b, rng.bytes(1 + rng.int(32))]);
  }
}
