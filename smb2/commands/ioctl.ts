import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';

/** IOCTL request, [MS-SMB2] 2.2.31. */
export interface IoctlRequest {
  ctlCode: number;
  fileId: FileId;
  input: Buffer;
  maxInputResponse: number;
  maxOutputResponse: number;
  flags: number;
}

/** IOCTL response, [MS-SMB2] 2.2.32. */
export interface IoctlResponse {
  ctlCode: number;
  fileId: FileId;
  flags: number;
  output: Buffer;
}

export function decodeIoctlRequest(r: Reader): IoctlRequest {
  r.u16();
  r.u16();
  const ctlCode = r.u32();
  const fileId = readFileId(r);
  const inputOffset = r.u32();
  const inputCount = r.u32();
  const maxInputResponse = r.u32();
  r.u32(); // OutputOffset
  r.u32(); // OutputCount
  const maxOutputResponse = r.u32();
  const flags = r.u32();
  return { ctlCode, fileId, input: r.slice(inputOffset, inputCount), maxInputResponse, maxOutputResponse, flags };
}

export function encodeIoctlResponse(m: IoctlResponse): Buffer {
  const w = new Writer(HEADER_SIZE, 48 + m.output.length);
  w.u16(ResponseStructureSize[Command.IOCTL]).u16(0).u32(m.ctlCode);
  writeFileId(w, m.fileId);
  const inputOffset = w.reserveU32();
  w.u32(0);
  const outputOffset = w.reserveU32();
  w.u32(m.output.length).u32(m.flags).u32(0);
  // Windows points both offsets at the end of the fixed part, even for an empty buffer.
  w.fillOffsetU32(inputOffset).fillOffsetU32(outputOffset);
  w.bytes(m.output);
  return w.finish();
}

export function encodeIoctlRequest(m: IoctlRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 56 + m.input.length);
  w.u16(RequestStructureSize[Command.IOCTL]).u16(0).u32(m.ctlCode);
  writeFileId(w, m.fileId);
  const inputOffset = w.reserveU32();
  w.u32(m.input.length).u32(m.maxInputResponse);
  w.u32(0).u32(0).u32(m.maxOutputResponse).u32(m.flags).u32(0);
  if (m.input.length) w.fillOffsetU32(inputOffset);
  w.bytes(m.input);
  return w.finish();
}

export function decodeIoctlResponse(r: Reader): IoctlResponse {
  r.u16();
  r.u16();
  const ctlCode = r.u32();
  const fileId = readFileId(r);
  r.u32();
  r.u32();
  const outputOffset = r.u32();
  const outputCount = r.u32();
  const flags = r.u32();
  return { ctlCode, fileId, flags, output: r.slice(outputOffset, outputCount) };
}
