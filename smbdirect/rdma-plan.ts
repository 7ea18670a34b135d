// Planning RDMA READ/WRITE work requests for an SMB2 READ or WRITE with an RDMA channel
// ([MS-SMB2] 3.3.5.12/3.3.5.13, [MS-SMBD] 3.1.4.3/3.1.4.4): the local bytes (registered
// segments) are laid over the peer's SMB2_BUFFER_DESC_V1 entries in order; each request
// targets one contiguous remote range and carries at most maxSge local segments. Pure.
import type { BufferDescriptor } from '../smb2/commands/buffer-desc.js';
import type { Sge } from '../native/binding.js';
import { MAX_DESCRIPTORS } from './constants.js';

export interface RdmaOp {
  remoteAddr: bigint;
  rkey: number;
  sgList: Sge[];
  length: number;
}

/** Why these descriptors cannot carry `total` bytes, or null. */
export function checkDescriptors(descriptors: readonly BufferDescriptor[], total: number, maxReadWrite: number): string | null {
  if (descriptors.length === 0) return 'no buffer descriptors';
  if (descriptors.length > MAX_DESCRIPTORS) return `${descriptors.length} buffer descriptors (> ${MAX_DESCRIPTORS})`;
  let room = 0;
  for (const d of descriptors) room += d.length;
  if (total > maxReadWrite) return `RDMA transfer of ${total} bytes > MaxReadWriteSize ${maxReadWrite}`;
  if (room < total) return `buffer descriptors hold ${room} bytes, ${total} needed`;
  return null;
}

/** Work requests moving the segments (in order) into/out of the descriptors (in order). */
export function planRdma(descriptors: readonly BufferDescriptor[], segments: readonly Sge[], maxSge: number): RdmaOp[] {
  if (maxSge < 1) throw new Error('maxSge must be at least 1');
  const ops: RdmaOp[] = [];
  let seg = 0;
  let segUsed = 0;
  for (const d of descriptors) {
    let done = 0;
    let op: RdmaOp | null = null;
    while (done < d.length && seg < segments.length) {
      const s = segments[seg];
      const n = Math.min(d.length - done, s.length - segUsed);
      if (!op || op.sgList.length === maxSge) {
        op = { remoteAddr: d.offset + BigInt(done), rkey: d.token, sgList: [], length: 0 };
        ops.push(op);
      }
      op.sgList.push({ addr: s.addr + BigInt(segUsed), length: n, lkey: s.lkey });
      op.length += n;
      done += n;
      segUsed += n;
      if (segUsed === s.length) {
        seg++;
        segUsed = 0;
      }
    }
    if (seg === segments.length) break;
  }
  if (seg < segments.length) throw new Error('segments do not fit the descriptors (check them first)');
  return ops;
}
