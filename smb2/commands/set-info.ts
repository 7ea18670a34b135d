import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';

/** SET_INFO request, [MS-SMB2] 2.2.39; the response is StructureSize 2 (2.2.40). */
export interface SetInfoRequest {
  infoType: number;
  infoClass: number;
  buffer: Buffer;
  additionalInformation: number;
  fileId: FileId;
}

export function decodeSetInfoRequest(r: Reader): SetInfoRequest {
  r.u16();
  const infoType = r.u8();
  const infoClass = r.u8();
  const length = r.u32();
  const offset = r.u16();
  r.u16();
  const additionalInformation = r.u32();
  const fileId = readFileId(r);
  return { infoType, infoClass, buffer: r.slice(offset, length), additionalInformation, fileId };
}

export function encodeSetInfoResponse(): Buffer {
  return new Writer(HEADER_SIZE, 2).u16(ResponseStructureSize[Command.SET_INFO]).finish();
}

export function encodeSetInfoRequest(m: SetInfoRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 32 + m.buffer.length);
  w.u16(RequestStructureSize[Command.SET_INFO]).u8(m.infoType).u8(m.infoClass).u32(m.buffer.length);
  const bufferOffset = w.reserveU16();
  w.u16(0).u32(m.additionalInformation);
  writeFileId(w, m.fileId);
  w.fillOffsetU16(bufferOffset).bytes(m.buffer.length ? m.buffer : Buffer.alloc(1));
  return w.finish();
}
