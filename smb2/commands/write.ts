import { DecodeError, Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';
import { readFileId, writeFileId, type FileId } from './create.js';
import { decodeBufferDescriptors, encodeBufferDescriptors, type BufferDescriptor } from './buffer-desc.js';

/**
 * WRITE request, [MS-SMB2] 2.2.21. `data` is views into the received message (no copy), in
 * order: one for a contiguous message, several when it arrived in pieces; `length` is their total.
 */
export interface WriteRequest {
  offset: number;
  fileId: FileId;
  channel: number;
  remainingBytes: number;
  flags: number;
  channelInfo: BufferDescriptor[];
  length: number;
  data: Buffer[];
}

/** A message that arrived in pieces (server/message-pieces.ts): bounds-checked ranges as views of them. */
export interface PiecedMessage {
  slice(offset: number, length: number): Buffer[];
}

/** WRITE response, [MS-SMB2] 2.2.22. */
export interface WriteResponse {
  count: number;
  remaining: number;
}

/** Where a WRITE's Buffer and channel info lie, and how to take them. */
interface WriteParts {
  info(offset: number, length: number): Buffer;
  data(offset: number, length: number): Buffer[];
}

/**
 * `r` reads the header and fixed part; with `pieces` (the whole message as it arrived) the
 * Buffer and channel info are taken from them instead of from `r`'s buffer.
 */
export function decodeWriteRequest(r: Reader, pieces?: PiecedMessage): WriteRequest {
  if (pieces) return decodeWrite(r, { info: (offset, length) => Buffer.concat(pieces.slice(offset, length)), data: (offset, length) => pieces.slice(offset, length) });
  return decodeWrite(r, { info: (offset, length) => r.slice(offset, length), data: (offset, length) => [r.slice(offset, length)] });
}

/**
 * A WRITE whose Buffer is still on its way (server/incoming-write.ts): `r`'s buffer is the header
 * and fixed part, which the Buffer must follow at once; `data` is empty, `length` says how much
 * is coming. DecodeError when the Buffer is elsewhere or the channel info is not in `r`'s buffer.
 */
export function decodeWriteRequestHead(r: Reader): WriteRequest {
  return decodeWrite(r, {
    info: (offset, length) => r.slice(offset, length),
    data: (offset) => {
      if (offset !== HEADER_SIZE + WRITE_REQUEST_FIXED_BYTES) throw new DecodeError('WRITE Buffer does not follow its fixed part');
      return [];
    },
  });
}

/** The fixed part of a WRITE request, [MS-SMB2] 2.2.21: StructureSize 49 counts the first byte of the Buffer. */
export const WRITE_REQUEST_FIXED_BYTES = 48;

function decodeWrite(r: Reader, parts: WriteParts): WriteRequest {
  r.u16();
  const dataOffset = r.u16();
  const length = r.u32();
  const offset = r.u64n();
  const fileId = readFileId(r);
  const channel = r.u32();
  const remainingBytes = r.u32();
  const infoOffset = r.u16();
  const infoLength = r.u16();
  const flags = r.u32();
  const channelInfo = channel === 0 ? [] : decodeBufferDescriptors(parts.info(infoOffset, infoLength));
  const data = parts.data(dataOffset, length);
  return { offset, fileId, channel, remainingBytes, flags, channelInfo, length, data };
}

export function encodeWriteResponse(m: WriteResponse): Buffer {
  const w = new Writer(HEADER_SIZE, 17);
  w.u16(ResponseStructureSize[Command.WRITE]).u16(0).u32(m.count).u32(m.remaining).u16(0).u16(0).u8(0);
  return w.finish();
}

/**
 * The fixed part only; the caller sends `data` as a separate chunk right after it.
 * With an RDMA channel the data is absent and the descriptors follow instead.
 */
export function encodeWriteRequestHeader(m: Omit<WriteRequest, 'data'>): Buffer {
  const info = encodeBufferDescriptors(m.channelInfo);
  const w = new Writer(HEADER_SIZE, 48 + info.length);
  w.u16(RequestStructureSize[Command.WRITE]);
  const dataOffset = w.reserveU16();
  w.u32(m.length).u64(m.offset);
  writeFileId(w, m.fileId);
  w.u32(m.channel).u32(m.remainingBytes);
  const infoOffset = w.reserveU16();
  w.u16(info.length).u32(m.flags);
  // Data (sent as a separate chunk) and descriptors both start right after the fixed part.
  if (m.length) w.fillOffsetU16(dataOffset);
  if (info.length) w.fillOffsetU16(infoOffset);
  w.bytes(info);
  return w.finish();
}

export function decodeWriteResponse(r: Reader): WriteResponse {
  r.u16();
  r.u16();
  return { count: r.u32(), remaining: r.u32() };
}
