/**
 * Source of the large memory slabs the page arena carves into pages.
 * The RDMA binding's native allocator satisfies this with page-aligned external
 * ArrayBuffers, so each slab can be registered once as a memory region.
 */
export interface SlabAllocator {
  allocate(bytes: number): { id: number; memory: Buffer };
  release(id: number): void;
}

/** Plain Buffer slabs, used when no native allocator is present (TCP only). */
export class BufferSlabAllocator implements SlabAllocator {
  private nextId = 1;
  private readonly live = new Map<number, Buffer>();

  allocate(bytes: number): { id: number; memory: Buffer } {
    const memory = Buffer.allocUnsafeSlow(bytes);
    const id = this.nextId++;
    this.live.set(id, memory);
    return { id, memory };
  }

  release(id: number): void {
    this.live.delete(id);
  }
}

/** The part of the RDMA addon (native/binding.ts RdmaBinding) that hands out registrable memory. */
export interface NativeSlabSource {
  /** Zeroed, page-aligned native memory. */
  allocSlab(bytes: number): ArrayBuffer;
  freeSlab(slab: ArrayBuffer): void;
}

/** Slabs from the RDMA addon: page-aligned external memory that SMB Direct registers once per slab. */
export class NativeSlabAllocator implements SlabAllocator {
  private nextId = 1;
  private readonly live = new Map<number, ArrayBuffer>();

  constructor(private readonly source: NativeSlabSource) {}

  allocate(bytes: number): { id: number; memory: Buffer } {
    const slab = this.source.allocSlab(bytes);
    const id = this.nextId++;
    this.live.set(id, slab);
    return { id, memory: Buffer.from(slab) };
  }

  release(id: number): void {
    const slab = this.live.get(id);
    if (!slab) return;
    this.live.delete(id);
    this.source.freeSlab(slab);
  }
}
