import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { Status } from '../status.js';
import { readFileId, writeFileId, type FileId } from './create.js';

/** QUERY_DIRECTORY request, [MS-SMB2] 2.2.33. */
export interface QueryDirectoryRequest {
  infoClass: number;
  flags: number;
  fileIndex: number;
  fileId: FileId;
  pattern: string;
  outputBufferLength: number;
}

export function decodeQueryDirectoryRequest(r: Reader): QueryDirectoryRequest {
  r.u16();
  const infoClass = r.u8();
  const flags = r.u8();
  const fileIndex = r.u32();
  const fileId = readFileId(r);
  const nameOffset = r.u16();
  const nameLength = r.u16();
  const outputBufferLength = r.u32();
  if (nameLength % 2) throw new DecodeError('odd pattern length', Status.OBJECT_NAME_INVALID);
  const pattern = r.slice(nameOffset, nameLength).toString('utf16le');
  return { infoClass, flags, fileIndex, fileId, pattern, outputBufferLength };
}

export function encodeQueryDirectoryRequest(m: QueryDirectoryRequest): Buffer {
  const name = Buffer.from(m.pattern, 'utf16le');
  const w = new Writer(HEADER_SIZE, 40 + name.length);
  w.u16(RequestStructureSize[Command.QUERY_DIRECTORY]).u8(m.infoClass).u8(m.flags).u32(m.fileIndex);
  writeFileId(w, m.fileId);
  const nameOffset = w.reserveU16();
  w.u16(name.length).u32(m.outputBufferLength);
  if (name.length) w.fillOffsetU16(nameOffset);
  w.bytes(name.length ? name : Buffer.alloc(1));
  return w.finish();
}

/** The shared "StructureSize 9, offset, length, buffer" response of QUERY_DIRECTORY (2.2.34), QUERY_INFO (2.2.38) and CHANGE_NOTIFY (2.2.36). */
export function encodeOutputBufferResponse(output: Buffer): Buffer {
  const w = new Writer(HEADER_SIZE, 8 + Math.max(1, output.length));
  w.u16(ResponseStructureSize[Command.QUERY_DIRECTORY]);
  const outputOffset = w.reserveU16();
  w.u32(output.length);
  if (output.length) w.fillOffsetU16(outputOffset);
  w.bytes(output.length ? output : Buffer.alloc(1));
  return w.finish();
}

export function decodeOutputBufferResponse(r: Reader): Buffer {
  r.u16();
  const offset = r.u16();
  const length = r.u32();
  return r.slice(offset, length);
}

/** Initial room for a response's entries; the writer grows past it when the client allows more. */
const INITIAL_OUTPUT = 16 * 1024;

/**
 * A QUERY_DIRECTORY response (2.2.34) written in place: the caller writes the entries into
 * `writer` (at OutputBufferOffset), then finish() back-fills OutputBufferLength. Use it only
 * for a non-empty output.
 */
export function startQueryDirectoryResponse(maxOutput: number): { writer: Writer; finish(): Buffer } {
  const w = new Writer(HEADER_SIZE, 8 + Math.min(maxOutput, INITIAL_OUTPUT));
  w.u16(ResponseStructureSize[Command.QUERY_DIRECTORY]);
  const outputOffset = w.reserveU16();
  const outputLength = w.reserveU32();
  w.fillOffsetU16(outputOffset);
  const start = w.length;
  return { writer: w, finish: () => w.fillU32(outputLength, w.length - start).finish() };
}

export { encodeOutputBufferResponse as encodeQueryDirectoryResponse, decodeOutputBufferResponse as decodeQueryDirectoryResponse };
