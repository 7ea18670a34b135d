import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
export { encodeEmptyBody as encodeFlushResponse } from './simple.js';

/** FLUSH request, [MS-SMB2] 2.2.17; the response is the 4-byte body of 2.2.18. */
export function decodeFlushRequest(r: Reader): { fileId: FileId } {
  r.u16();
  r.u16();
  r.u32();
  return { fileId: readFileId(r) };
}

export function encodeFlushRequest(m: { fileId: FileId }): Buffer {
  const w = new Writer(HEADER_SIZE, 24);
  w.u16(RequestStructureSize[Command.FLUSH]).u16(0).u32(0);
  writeFileId(w, m.fileId);
  return w.finish();
}
