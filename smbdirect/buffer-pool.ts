// Registered buffers for sends, receives and bounce copies: fixed-size units carved out of
// slabs that are registered once each, handed out and taken back through a free list. No
// message allocates or registers memory; a pool grows by whole slabs up to its limit, and
// callers that need more wait until units come back, in order. A caller may take through an
// account (`PoolShare`, one per connection) that caps what it holds at once and bounds how
// long it waits, so one connection cannot hold every unit nor make others wait forever.

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

/** The units a pool hands out, as the data path sees them (a whole pool, or one connection's share of it). */
export interface UnitPool {
  readonly unitBytes: number;
  /** Units handed out through this object and not given back. */
  readonly inUse: number;
  take(n: number): Promise<PoolUnit[]>;
  give(units: readonly PoolUnit[]): void;
}

/** One holder's count of units taken and not given back, and the most it may hold at once. */
export interface PoolAccount {
  held: number;
  readonly cap: number;
}

export interface TakeOptions {
  account?: PoolAccount;
  /** Give up waiting after this long (0 or absent: wait until the pool closes). */
  timeoutMs?: number;
}

/** A take that waited its whole timeout for units. */
export class PoolWaitTimeout extends Error {
  readonly code = 'SPLICED_ERR_SMBD_POOL_WAIT';
}

interface Waiter {
  n: number;
  account?: PoolAccount;
  timer?: NodeJS.Timeout;
  resolve(units: PoolUnit[]): void;
  reject(err: Error): void;
}

/** The one-line advice when registration fails for want of locked memory. */
export function memlockError(err: unknown, what: string): Error {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOMEM' || e?.errno === 12) {
    return new Error(`SMB Direct: registering ${what} failed with ENOMEM: raise RLIMIT_MEMLOCK (ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit)`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export class BufferPool implements UnitPool {
  private readonly free: PoolUnit[] = [];
  private readonly slabs: Array<{ slab: ArrayBuffer; mr: RegisteredMemory }> = [];
  private readonly waiters: Waiter[] = [];
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

  /** Takes waiting for units. */
  get waiting(): number {
    return this.waiters.length;
  }

  /**
   * n units at once, or null when they cannot be had now: the account is at its cap, a
   * waiter that may take comes first, or the pool is at its limit (it grows first if it may).
   */
  tryTake(n: number, account?: PoolAccount): PoolUnit[] | null {
    if (this.closed) throw new Error('buffer pool closed');
    if (account && account.held + n > account.cap) return null;
    if (this.waiters.some((w) => this.mayTake(w))) return null;
    return this.fill(n) ? this.hand(n, account) : null;
  }

  /**
   * n units, waiting in order for units to come back when the pool is at its limit. A waiter
   * whose account is at its cap waits for its own units and does not hold up the others.
   */
  take(n: number, o: TakeOptions = {}): Promise<PoolUnit[]> {
    if (n > this.o.maxUnits) return Promise.reject(new Error(`asked for ${n} units of a pool of ${this.o.maxUnits}`));
    if (o.account && n > o.account.cap) return Promise.reject(new Error(`asked for ${n} units, more than the ${o.account.cap} one holder may have`));
    let units: PoolUnit[] | null;
    try {
      units = this.tryTake(n, o.account);
    } catch (err) {
      return Promise.reject(err);
    }
    if (units) return Promise.resolve(units);
    return new Promise((resolve, reject) => {
      const w: Waiter = { n, account: o.account, resolve, reject };
      if (o.timeoutMs && o.timeoutMs > 0) {
        const ms = o.timeoutMs;
        w.timer = setTimeout(() => {
          this.drop(w);
          reject(new PoolWaitTimeout(`no ${n} free buffer units of ${this.o.unitBytes} bytes within ${ms} ms`));
          this.dispatch();
        }, ms);
      }
      this.waiters.push(w);
    });
  }

  give(units: readonly PoolUnit[], account?: PoolAccount): void {
    if (account) account.held -= units.length;
    if (this.closed) return;
    this.free.push(...units);
    this.dispatch();
  }

  /** Rejects the waiting takes of one account (its holder is going away). */
  cancel(account: PoolAccount, err: Error): void {
    for (const w of this.waiters.filter((x) => x.account === account)) {
      this.drop(w);
      w.reject(err);
    }
    this.dispatch();
  }

  /** Deregisters every slab; units still out must not be used by the device any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error('buffer pool closed'));
    }
    for (const { slab, mr } of this.slabs.splice(0)) {
      mr.close();
      this.o.free?.(slab);
    }
    this.free.length = 0;
  }

  private mayTake(w: Waiter): boolean {
    return !w.account || w.account.held + w.n <= w.account.cap;
  }

  /** Serves waiters in order; the first one that may take but cannot be served yet keeps the rest waiting behind it. */
  private dispatch(): void {
    for (let i = 0; i < this.waiters.length && !this.closed; ) {
      const w = this.waiters[i];
      if (!this.mayTake(w)) {
        i++;
        continue;
      }
      let ready: boolean;
      try {
        ready = this.fill(w.n);
      } catch (err) {
        this.drop(w);
        w.reject(err as Error);
        continue;
      }
      if (!ready) return;
      this.drop(w);
      w.resolve(this.hand(w.n, w.account));
    }
  }

  private drop(w: Waiter): void {
    clearTimeout(w.timer);
    const at = this.waiters.indexOf(w);
    if (at >= 0) this.waiters.splice(at, 1);
  }

  /** Grows until n units are free or the pool is at its limit; whether n are free. */
  private fill(n: number): boolean {
    while (this.free.length < n && this.total < this.o.maxUnits) this.grow();
    return this.free.length >= n;
  }

  private hand(n: number, account?: PoolAccount): PoolUnit[] {
    if (account) account.held += n;
    return this.free.splice(this.free.length - n, n);
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

/**
 * One connection's share of a pool: at most `cap` units held at once, and a take that waits
 * longer than `waitMs` fails and calls `onStarved` (the listener ends the connection).
 */
export class PoolShare implements UnitPool, PoolAccount {
  held = 0;
  private starved = false;

  constructor(
    private readonly pool: BufferPool,
    readonly cap: number,
    private readonly waitMs: number,
    private readonly onStarved: (err: PoolWaitTimeout) => void,
  ) {}

  get unitBytes(): number {
    return this.pool.unitBytes;
  }

  get inUse(): number {
    return this.held;
  }

  tryTake(n: number): PoolUnit[] | null {
    return this.pool.tryTake(n, this);
  }

  take(n: number): Promise<PoolUnit[]> {
    const taken = this.pool.take(n, { account: this, timeoutMs: this.waitMs });
    taken.catch((err: unknown) => {
      if (!(err instanceof PoolWaitTimeout) || this.starved) return;
      this.starved = true;
      this.onStarved(err);
    });
    return taken;
  }

  give(units: readonly PoolUnit[]): void {
    this.pool.give(units, this);
  }

  /** The connection is going: its waiting takes fail (units it still holds come back through give). */
  close(reason: string): void {
    this.pool.cancel(this, new Error(reason));
  }
}
