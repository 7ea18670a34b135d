import { Reader, Writer } from '../../wire/index.js';

/** SMB2_BUFFER_DESC_V1, [MS-SMB2] 2.2.3.1.1 / [MS-SMBD] 2.2.3.1: one registered client buffer. */
export interface BufferDescriptor {
  offset: bigint;
  token: number;
  length: number;
}

export function decodeBufferDescriptors(buf: Buffer): BufferDescriptor[] {
  const r = new Reader(buf);
  const out: BufferDescriptor[] = [];
  while (r.remaining >= 16) out.push({ offset: r.u64(), token: r.u32(), length: r.u32() });
  return out;
}

export function encodeBufferDescriptors(descs: BufferDescriptor[]): Buffer {
  const w = new Writer(0, descs.length * 16);
  for (const d of descs) w.u64(d.offset).u32(d.token).u32(d.length);
  return w.finish();
}
