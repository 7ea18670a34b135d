import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
export { encodeEmptyBody as encodeLockResponse } from './simple.js';

/** SMB2_LOCK_ELEMENT, [MS-SMB2] 2.2.26.1. */
export interface LockElement {
  offset: bigint;
  length: bigint;
  flags: number;
}

/**
 * LOCK request, [MS-SMB2] 2.2.26; the response is the 4-byte body of 2.2.27. A LockCount of 0
 * decodes to no elements (the handler refuses it with STATUS_INVALID_PARAMETER, as Windows does).
 */
export interface LockRequest {
  /** LockSequenceNumber (low 4 bits) and LockSequenceIndex (the 28 bits above). */
  lockSequence: number;
  fileId: FileId;
  locks: LockElement[];
}

export function decodeLockRequest(r: Reader): LockRequest {
  r.u16();
  const count = r.u16();
  const lockSequence = r.u32();
  const fileId = readFileId(r);
  const locks: LockElement[] = [];
  for (let i = 0; i < count; i++) {
    const offset = r.u64();
    const length = r.u64();
    const flags = r.u32();
    r.u32();
    locks.push({ offset, length, flags });
  }
  return { lockSequence, fileId, locks };
}

export function encodeLockRequest(m: LockRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 24 + 24 * m.locks.length);
  w.u16(RequestStructureSize[Command.LOCK]).u16(m.locks.length).u32(m.lockSequence);
  writeFileId(w, m.fileId);
  for (const l of m.locks) w.u64(l.offset).u64(l.length).u32(l.flags).u32(0);
  return w.finish();
}
