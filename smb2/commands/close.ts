import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
import { readOpenAttributes, writeOpenAttributes, type OpenAttributes } from './open-attributes.js';

/** CLOSE request, [MS-SMB2] 2.2.15. */
export interface CloseRequest {
  flags: number;
  fileId: FileId;
}

/** CLOSE response, [MS-SMB2] 2.2.16; the attributes are zero unless POSTQUERY_ATTRIB was asked. */
export interface CloseResponse extends OpenAttributes {
  flags: number;
}

export function decodeCloseRequest(r: Reader): CloseRequest {
  r.u16();
  const flags = r.u16();
  r.u32();
  return { flags, fileId: readFileId(r) };
}

export function encodeCloseResponse(m: CloseResponse): Buffer {
  const w = new Writer(HEADER_SIZE, 60);
  w.u16(ResponseStructureSize[Command.CLOSE]).u16(m.flags).u32(0);
  writeOpenAttributes(w, m);
  return w.finish();
}

export function encodeCloseRequest(m: CloseRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 24);
  w.u16(RequestStructureSize[Command.CLOSE]).u16(m.flags).u32(0);
  writeFileId(w, m.fileId);
  return w.finish();
}

export function decodeCloseResponse(r: Reader): CloseResponse {
  r.u16();
  const flags = r.u16();
  r.u32();
  return { flags, ...readOpenAttributes(r) };
}
