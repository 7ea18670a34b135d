import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { Status } from '../status.js';
import { readOpenAttributes, writeOpenAttributes, type OpenAttributes } from './open-attributes.js';

/** SMB2_FILEID, [MS-SMB2] 2.2.14.1. */
export interface FileId {
  persistent: bigint;
  volatile: bigint;
}

/** One SMB2_CREATE_CONTEXT, [MS-SMB2] 2.2.13.2: a 4-ish byte ASCII tag and its data. */
export interface CreateContext {
  name: string;
  data: Buffer;
}

/** CREATE request, [MS-SMB2] 2.2.13. */
export interface CreateRequest {
  requestedOplockLevel: number;
  impersonationLevel: number;
  desiredAccess: number;
  fileAttributes: number;
  shareAccess: number;
  createDisposition: number;
  createOptions: number;
  name: string;
  contexts: CreateContext[];
}

/** CREATE response, [MS-SMB2] 2.2.14. */
export interface CreateResponse extends OpenAttributes {
  oplockLevel: number;
  flags: number;
  createAction: number;
  fileId: FileId;
  contexts: CreateContext[];
}

/** Create context names the server answers, [MS-SMB2] 2.2.13.2. */
export const CreateContextName = {
  QUERY_MAXIMAL_ACCESS: 'MxAc',
  QUERY_ON_DISK_ID: 'QFid',
  DURABLE_HANDLE_REQUEST: 'DHnQ',
  DURABLE_HANDLE_REQUEST_V2: 'DH2Q',
  REQUEST_LEASE: 'RqLs',
} as const;

export function readFileId(r: Reader): FileId {
  return { persistent: r.u64(), volatile: r.u64() };
}

export function writeFileId(w: Writer, id: FileId): void {
  w.u64(id.persistent).u64(id.volatile);
}

export function decodeCreateContexts(buf: Buffer): CreateContext[] {
  const out: CreateContext[] = [];
  let at = 0;
  while (buf.length > 0) {
    const r = new Reader(buf, at);
    const next = r.u32();
    const nameOffset = r.u16();
    const nameLength = r.u16();
    r.u16();
    const dataOffset = r.u16();
    const dataLength = r.u32();
    const name = r.slice(at + nameOffset, nameLength).toString('latin1');
    const data = r.slice(at + dataOffset, dataLength);
    out.push({ name, data });
    if (next === 0) break;
    if (next % 8 !== 0 || next < 16 || at + next >= buf.length) throw new DecodeError('bad create context chain', Status.INVALID_PARAMETER);
    at += next;
  }
  return out;
}

/** Contexts are laid out at 8-byte aligned positions relative to the first one. */
export function encodeCreateContexts(contexts: CreateContext[]): Buffer {
  const w = new Writer();
  contexts.forEach((c, i) => {
    w.align(8);
    const start = w.position;
    const next = w.reserveU32();
    const name = Buffer.from(c.name, 'latin1');
    const nameOffset = w.reserveU16();
    w.u16(name.length).u16(0);
    const dataOffset = w.reserveU16();
    w.u32(c.data.length);
    w.fillU16(nameOffset, w.position - start).bytes(name);
    if (c.data.length) {
      w.align(8);
      w.fillU16(dataOffset, w.position - start);
      w.bytes(c.data);
    }
    if (i < contexts.length - 1) {
      w.align(8);
      w.fillU32(next, w.position - start);
    }
  });
  return w.finish();
}

export function decodeCreateRequest(r: Reader): CreateRequest {
  r.u16();
  r.u8(); // SecurityFlags
  const requestedOplockLevel = r.u8();
  const impersonationLevel = r.u32();
  r.skip(16); // SmbCreateFlags, Reserved
  const desiredAccess = r.u32();
  const fileAttributes = r.u32();
  const shareAccess = r.u32();
  const createDisposition = r.u32();
  const createOptions = r.u32();
  const nameOffset = r.u16();
  const nameLength = r.u16();
  const contextsOffset = r.u32();
  const contextsLength = r.u32();
  if (nameLength % 2 !== 0) throw new DecodeError('odd name length', Status.OBJECT_NAME_INVALID);
  const name = r.slice(nameOffset, nameLength).toString('utf16le');
  const contexts = decodeCreateContexts(r.slice(contextsOffset, contextsLength));
  return {
    requestedOplockLevel, impersonationLevel, desiredAccess, fileAttributes, shareAccess,
    createDisposition, createOptions, name, contexts,
  };
}

export function encodeCreateResponse(m: CreateResponse): Buffer {
  const w = new Writer(HEADER_SIZE, 160);
  w.u16(ResponseStructureSize[Command.CREATE]).u8(m.oplockLevel).u8(m.flags).u32(m.createAction);
  writeOpenAttributes(w, m);
  w.u32(0);
  writeFileId(w, m.fileId);
  const contexts = encodeCreateContexts(m.contexts);
  const offset = w.reserveU32();
  w.u32(contexts.length);
  if (contexts.length) {
    w.fillOffsetU32(offset);
    w.bytes(contexts);
  } else {
    w.u8(0);
  }
  return w.finish();
}

export function encodeCreateRequest(m: CreateRequest): Buffer {
  const name = Buffer.from(m.name, 'utf16le');
  const w = new Writer(HEADER_SIZE);
  w.u16(RequestStructureSize[Command.CREATE]).u8(0).u8(m.requestedOplockLevel).u32(m.impersonationLevel).zeros(16);
  w.u32(m.desiredAccess).u32(m.fileAttributes).u32(m.shareAccess).u32(m.createDisposition).u32(m.createOptions);
  const nameOffset = w.reserveU16();
  w.u16(name.length);
  const ctxOffset = w.reserveU32();
  const ctxLength = w.reserveU32();
  w.fillOffsetU16(nameOffset).bytes(name.length ? name : Buffer.alloc(1));
  const contexts = encodeCreateContexts(m.contexts);
  if (contexts.length) {
    w.align(8);
    w.fillOffsetU32(ctxOffset).fillU32(ctxLength, contexts.length);
    w.bytes(contexts);
  }
  return w.finish();
}

export function decodeCreateResponse(r: Reader): CreateResponse {
  r.u16();
  const oplockLevel = r.u8();
  const flags = r.u8();
  const createAction = r.u32();
  const attributes = readOpenAttributes(r);
  r.u32();
  const fileId = readFileId(r);
  const offset = r.u32();
  const length = r.u32();
  return {
    oplockLevel, flags, createAction, ...attributes, fileId, contexts: decodeCreateContexts(r.slice(offset, length)),
  };
}
