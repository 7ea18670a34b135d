import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
export {
  encodeOutputBufferResponse as encodeQueryInfoResponse,
  decodeOutputBufferResponse as decodeQueryInfoResponse,
} from './query-directory.js';

/** QUERY_INFO request, [MS-SMB2] 2.2.37. */
export interface QueryInfoRequest {
  infoType: number;
  infoClass: number;
  outputBufferLength: number;
  input: Buffer;
  additionalInformation: number;
  flags: number;
  fileId: FileId;
}

export function decodeQueryInfoRequest(r: Reader): QueryInfoRequest {
  r.u16();
  const infoType = r.u8();
  const infoClass = r.u8();
  const outputBufferLength = r.u32();
  const inputOffset = r.u16();
  r.u16();
  const inputLength = r.u32();
  const additionalInformation = r.u32();
  const flags = r.u32();
  const fileId = readFileId(r);
  return { infoType, infoClass, outputBufferLength, input: r.slice(inputOffset, inputLength), additionalInformation, flags, fileId };
}

export function encodeQueryInfoRequest(m: QueryInfoRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 48 + m.input.length);
  w.u16(RequestStructureSize[Command.QUERY_INFO]).u8(m.infoType).u8(m.infoClass).u32(m.outputBufferLength);
  const inputOffset = w.reserveU16();
  w.u16(0).u32(m.input.length).u32(m.additionalInformation).u32(m.flags);
  writeFileId(w, m.fileId);
  if (m.input.length) w.fillOffsetU16(inputOffset);
  w.bytes(m.input.length ? m.input : Buffer.alloc(1));
  return w.finish();
}
