// The local side of RDMA transfers of file data. Chunks that live in registered cache slabs
// become SGEs on their slab's memory region (zero-copy; neighbouring pages of one slab merged);
// the rest (heap memory, or every chunk when zero copy is off) goes through registered bounce
// units, in order. An RDMA WRITE of READ data copies into the units first (gatherPayload); an
// RDMA READ of WRITE data copies out of them afterwards (scatterTargets).
import type { Sge } from '../native/binding.js';
import type { ChunkRegion, FillTarget, PayloadData } from '../server/file-io.js';
import type { PoolUnit } from './buffer-pool.js';
import type { DevicePools, SlabKey } from './device.js';

export interface Gathered {
  segments: Sge[];
  /** Bounce units to give back once the WRITEs completed. */
  units: PoolUnit[];
  copiedBytes: number;
}

export interface Scattered {
  segments: Sge[];
  /** Bounce units to give back once the READs completed (and finish() ran). */
  units: PoolUnit[];
  /** Bytes the device places straight into region targets. */
  directBytes: number;
  /** After the READs completed: copy the bounced bytes into their targets. */
  finish(): void;
}

/** One piece of a bounced chunk: bytes [from, from + view.length) of chunk `chunk` go through `view` of a unit. */
interface BouncePiece {
  chunk: number;
  from: number;
  view: Buffer;
}

export async function gatherPayload(data: PayloadData, pools: DevicePools, forceBounce: boolean): Promise<Gathered> {
  const laid = await layOut(data.chunks, data.regions, pools, forceBounce);
  for (const piece of laid.bounced) data.chunks[piece.chunk].copy(piece.view, 0, piece.from, piece.from + piece.view.length);
  return { segments: laid.segments, units: laid.units, copiedBytes: laid.bouncedBytes };
}

export async function scatterTargets(targets: readonly FillTarget[], pools: DevicePools, forceBounce: boolean): Promise<Scattered> {
  const buffers = targets.map((t) => t.bytes);
  const laid = await layOut(buffers, targets.map((t) => t.region), pools, forceBounce);
  const total = buffers.reduce((n, b) => n + b.length, 0);
  const finish = (): void => {
    for (const piece of laid.bounced) piece.view.copy(buffers[piece.chunk], piece.from);
  };
  return { segments: laid.segments, units: laid.units, directBytes: total - laid.bouncedBytes, finish };
}

async function layOut(chunks: readonly Buffer[], regions: readonly (ChunkRegion | null)[] | undefined, pools: DevicePools, forceBounce: boolean) {
  const keys = chunks.map((_, i) => (forceBounce ? undefined : slabKey(pools, regions?.[i] ?? null)));
  let bouncedBytes = 0;
  for (const [i, chunk] of chunks.entries()) if (!keys[i]) bouncedBytes += chunk.length;
  const unitBytes = pools.bounce.unitBytes;
  const units = bouncedBytes ? await pools.bounce.take(Math.ceil(bouncedBytes / unitBytes)) : [];
  const segments: Sge[] = [];
  const bounced: BouncePiece[] = [];
  let unit = 0;
  let used = 0;
  // A run of neighbouring pages of one slab becomes one SGE (offsets compared as numbers; one BigInt per run).
  let run: { key: SlabKey; offset: number; length: number } | null = null;
  const endRun = (): void => {
    if (run) segments.push({ addr: run.key.addr + BigInt(run.offset), length: run.length, lkey: run.key.lkey });
    run = null;
  };
  for (const [i, chunk] of chunks.entries()) {
    const key = keys[i];
    if (key) {
      const offset = regions![i]!.offset;
      if (run && run.key === key && run.offset + run.length === offset) run.length += chunk.length;
      else {
        endRun();
        run = { key, offset, length: chunk.length };
      }
      continue;
    }
    endRun();
    for (let from = 0; from < chunk.length; ) {
      const u = units[unit];
      const n = Math.min(chunk.length - from, unitBytes - used);
      bounced.push({ chunk: i, from, view: u.bytes.subarray(used, used + n) });
      segments.push({ addr: u.addr + BigInt(used), length: n, lkey: u.lkey });
      from += n;
      used += n;
      if (used === unitBytes) {
        unit++;
        used = 0;
      }
    }
  }
  endRun();
  // Bounce SGEs stay one per unit piece.
  return { segments, units, bounced, bouncedBytes };
}

/** The registered slab a chunk lives in, or undefined (no region, or the slab has no MR on this device). */
function slabKey(pools: DevicePools, region: ChunkRegion | null): SlabKey | undefined {
  return region ? pools.slabMr(region.slabId) : undefined;
}
