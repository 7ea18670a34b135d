import { Reader, Writer, DecodeError } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
import { decodeBufferDescriptors, encodeBufferDescriptors, type BufferDescriptor } from './buffer-desc.js';

/** READ request, [MS-SMB2] 2.2.19. */
export interface ReadRequest {
  flags: number;
  length: number;
  offset: number;
  fileId: FileId;
  minimumCount: number;
  channel: number;
  remainingBytes: number;
  channelInfo: BufferDescriptor[];
}

/** READ response header part, [MS-SMB2] 2.2.20; the data itself travels as separate payload chunks. */
export interface ReadResponse {
  dataLength: number;
  dataRemaining: number;
  flags: number;
}

export function decodeReadRequest(r: Reader): ReadRequest {
  r.u16();
  r.u8(); // Padding
  const flags = r.u8();
  const length = r.u32();
  const offset = r.u64n();
  const fileId = readFileId(r);
  const minimumCount = r.u32();
  const channel = r.u32();
  const remainingBytes = r.u32();
  const infoOffset = r.u16();
  const infoLength = r.u16();
  const channelInfo = channel === 0 ? [] : decodeBufferDescriptors(r.slice(infoOffset, infoLength));
  if (channel !== 0 && channelInfo.length === 0) throw new DecodeError('RDMA read without buffer descriptors');
  return { flags, length, offset, fileId, minimumCount, channel, remainingBytes, channelInfo };
}

/** Only the 16 fixed bytes: the caller sends the data chunks right after (DataOffset 80). */
export function encodeReadResponseHeader(m: ReadResponse): Buffer {
  const w = new Writer(HEADER_SIZE, 16);
  w.u16(ResponseStructureSize[Command.READ]);
  const dataOffset = w.reserveU8();
  w.u8(0).u32(m.dataLength).u32(m.dataRemaining).u32(m.flags);
  if (m.dataLength) w.fillOffsetU8(dataOffset);
  return w.finish();
}

export function encodeReadRequest(m: ReadRequest): Buffer {
  const w = new Writer(HEADER_SIZE, 64);
  const info = encodeBufferDescriptors(m.channelInfo);
  w.u16(RequestStructureSize[Command.READ]).u8(0).u8(m.flags).u32(m.length).u64(m.offset);
  writeFileId(w, m.fileId);
  w.u32(m.minimumCount).u32(m.channel).u32(m.remainingBytes);
  const infoOffset = w.reserveU16();
  w.u16(info.length);
  if (info.length) w.fillOffsetU16(infoOffset);
  w.bytes(info.length ? info : Buffer.alloc(1));
  return w.finish();
}

export function decodeReadResponse(r: Reader): ReadResponse & { data: Buffer } {
  r.u16();
  const dataOffset = r.u8();
  r.u8();
  const dataLength = r.u32();
  const dataRemaining = r.u32();
  const flags = r.u32();
  return { dataLength, dataRemaining, flags, data: r.slice(dataOffset, dataLength) };
}
