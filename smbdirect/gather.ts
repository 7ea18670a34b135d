// The local side of an RDMA WRITE of READ data: chunks that live in registered cache slabs
// become SGEs on their slab's memory region (zero-copy); the rest (heap copies, or every
// chunk when zero copy is off) is copied into registered bounce units, in order.
import type { Sge } from '../native/binding.js';
import type { PayloadData } from '../server/file-io.js';
import type { PoolUnit } from './buffer-pool.js';
import type { DevicePools } from './device.js';

export interface Gathered {
  segments: Sge[];
  /** Bounce units to give back once the WRITEs completed. */
  units: PoolUnit[];
  copiedBytes: number;
}

export async function gatherPayload(data: PayloadData, pools: DevicePools, forceBounce: boolean): Promise<Gathered> {
  const direct: Array<Sge | null> = data.chunks.map((chunk, i) => {
    const region = forceBounce ? null : data.regions?.[i];
    const mr = region ? pools.slabMr(region.slabId) : undefined;
    return region && mr ? { addr: mr.addr + BigInt(region.offset), length: chunk.length, lkey: mr.lkey } : null;
  });
  let copiedBytes = 0;
  for (const [i, chunk] of data.chunks.entries()) if (!direct[i]) copiedBytes += chunk.length;
  const unitBytes = pools.bounce.unitBytes;
  const units = copiedBytes ? await pools.bounce.take(Math.ceil(copiedBytes / unitBytes)) : [];
  const segments: Sge[] = [];
  let unit = 0;
  let used = 0;
  for (const [i, chunk] of data.chunks.entries()) {
    const sge = direct[i];
    if (sge) {
      const last = segments[segments.length - 1];
      const adjacent = i > 0 && direct[i - 1] && last.lkey === sge.lkey && last.addr + BigInt(last.length) === sge.addr;
      if (adjacent) segments[segments.length - 1] = { ...last, length: last.length + sge.length };
      else segments.push(sge);
      continue;
    }
    let from = 0;
    while (from < chunk.length) {
      const u = units[unit];
      const n = Math.min(chunk.length - from, unitBytes - used);
      chunk.copy(u.bytes, used, from, from + n);
      segments.push({ addr: u.addr + BigInt(used), length: n, lkey: u.lkey });
      from += n;
      used += n;
      if (used === unitBytes) {
        unit++;
        used = 0;
      }
    }
  }
  // Bounce SGEs stay one per unit piece; neighbouring cache pages in one slab were merged above.
  return { segments, units, copiedBytes };
}
