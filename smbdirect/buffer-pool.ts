// Registered buffers for sends, receives and bounce copies: fixed-size units carved out of
// slabs that are registered once each, handed out and taken back through a free list. No
// message allocates or registers memory; a pool grows by whole slabs up to its limit, and
// callers that need more wait until units come back.

/** A memory registration (a verbs MR, or a fake in unit tests). */
export interface RegisteredMemory {
  readonly addr: bigint;
  readonly lkey: number;
  readonly rkey: number;
  close(): void;
}

export interface PoolUnit {
  /** The unit's bytes (a view into its slab). */
  readonly bytes: Buffer;
  readonly addr: bigint;
  readonly lkey: number;
}

export interface BufferPoolOptions {
  unitBytes: number;
  unitsPerSlab: number;
  maxUnits: number;
  /** Page-aligned memory for one slab (the binding's allocSlab). */
  allocate(bytes: number): ArrayBuffer;
  /** Registers a slab; may throw (see memlockError). */
  register(slab: ArrayBuffer): RegisteredMemory;
  free?(slab: ArrayBuffer): void;
}

/** The one-line advice when registration fails for want of locked memory. */
export function memlockError(err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOMEM' || e?.errno === 12) {
    return new Error(`SMB Direct: registering ${what} failed with ENOMEM: raise RLIMIT_MEMLOCK (ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit)`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export class BufferPool {
  private readonly free: PoolUnit[] = [];
  private readonly slabs: Array<{ slab: ArrayBuffer; mr: RegisteredMemory }> = [];
  private readonly waiters: Array<{ n: number; resolve(units: PoolUnit[]): void; reject(err: Error): void }> = [];
  private total = 0;
  private closed = false;

  constructor(private readonly o: BufferPoolOptions) {
    if (o.unitsPerSlab < 1 || o.maxUnits < 1) throw new Error('a pool needs at least one unit');
  }

  get unitBytes(): number {
    return this.o.unitBytes;
  }

  get maxUnits(): number {
    return this.o.maxUnits;
  }

  /** Units handed out and not given back. */
  get inUse(): number {
    return this.total - this.free.length;
  }

  /** Slabs registered so far. */
  get slabCount(): number {
    return this.slabs.length;
  }

  /** n units at once, or null when the pool cannot have them now (it grows first if it may). */
  tryTake(n: number): PoolUnit[] | null {
    if (this.closed) throw new Error('buffer pool closed');
    while (this.free.length < n && this.total < this.o.maxUnits) this.grow();
    if (this.free.length < n || this.waiters.length > 0) return null;
    return this.free.splice(this.free.length - n, n);
  }

  /** n units, waiting (in order) for units to come back when the pool is at its limit. */
  take(n: number): Promise<PoolUnit[]> {
    if (n > this.o.maxUnits) return Promise.reject(new Error(`asked for ${n} units of a pool of ${this.o.maxUnits}`));
    const units = this.tryTake(n);
    if (units) return Promise.resolve(units);
    return new Promise((resolve, reject) => this.waiters.push({ n, resolve, reject }));
  }

  give(units: readonly PoolUnit[]): void {
    if (this.closed) return;
    this.free.push(...units);
    while (this.waiters.length > 0 && this.free.length >= this.waiters[0].n) {
      const w = this.waiters.shift()!;
      w.resolve(this.free.splice(this.free.length - w.n, w.n));
    }
  }

  /** Deregisters every slab; units still out must not be used by the device any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new Error('buffer pool closed'));
    for (const { slab, mr } of this.slabs.splice(0)) {
      mr.close();
      this.o.free?.(slab);
    }
    this.free.length = 0;
  }

  private grow(): void {
    const units = Math.min(this.o.unitsPerSlab, this.o.maxUnits - this.total);
    const slab = this.o.allocate(units * this.o.unitBytes);
    let mr: RegisteredMemory;
    try {
      mr = this.o.register(slab);
    } catch (err) {
      this.o.free?.(slab);
      throw memlockError(err, `a ${units * this.o.unitBytes}-byte buffer slab`);
    }
    this.slabs.push({ slab, mr });
    const whole = Buffer.from(slab);
    for (let i = 0; i < units; i++) {
      const at = i * this.o.unitBytes;
      this.free.push({ bytes: whole.subarray(at, at + this.o.unitBytes), addr: mr.addr + BigInt(at), lkey: mr.lkey });
    }
    this.total += units;
  }
}
