// What SMB Direct keeps per RDMA device: its context and protection domain, the registered
// send/receive/bounce pools, and one memory region per page-cache slab (so READ data goes
// to the wire from cache pages). Connections on a device share all of it.
import type { NativeContext, NativeMemoryRegion, NativeProtectionDomain, RdmaBinding } from '../native/binding.js';
import { Access } from '../native/constants.js';
import { isSoftwareRdmaDevice } from '../native/rc-endpoint.js';
import type { PageCache } from '../cache/index.js';
import type { Logger } from '../server/log.js';
import { BufferPool, PoolShare, memlockError, type PoolWaitTimeout, type UnitPool } from './buffer-pool.js';
import type { SmbdLimits } from './constants.js';

/** Bounce units: big enough to keep SGE lists short, small enough to waste little on a short READ. */
export const BOUNCE_UNIT_BYTES = 64 * 1024;

/**
 * The most of the bounce pool one connection may hold at once, as a fraction (never less than
 * one largest READ/WRITE): with the default pool of four largest transfers, one connection with
 * big RDMA transfers in flight leaves three quarters to the others.
 */
export const BOUNCE_SHARE = 0.25;

/**
 * Longest wait for bounce units before the waiting READ/WRITE fails and its connection ends.
 * Units come back as RDMA transfers finish, and a transfer to a dead peer fails within the
 * QP's retry budget (seconds), which ends that connection and returns its units; a wait of
 * 30 s therefore means the pool is overcommitted, not slow. It is shorter than the clients'
 * own request timeouts (60 s and more), so the client sees a disconnect and reconnects
 * instead of a request that never completes.
 */
export const BOUNCE_WAIT_MS = 30_000;

/** The part of a device the data path uses (connection.ts, gather.ts). */
export interface DevicePools {
  send: BufferPool;
  recv: BufferPool;
  bounce: UnitPool;
  /** Where a cache slab's memory region starts and its lkey (read once, not through the addon per page). */
  slabMr(slabId: number): SlabKey | undefined;
}

export interface SlabKey {
  addr: bigint;
  lkey: number;
}

/** One connection's view of the device: its own capped share of the bounce pool. */
export interface ConnectionPools extends DevicePools {
  bounce: PoolShare;
}

export interface DeviceOptions {
  limits: SmbdLimits;
  /** Connections expected at once (sizes the pools' upper bounds). */
  maxConnections: number;
  /** Page-cache slabs to register, now and as they are created. */
  cache?: PageCache;
  log: Logger;
  /** Fraction of the bounce pool one connection may hold (default BOUNCE_SHARE). */
  bounceShare?: number;
  /** Longest wait for bounce units, ms (default BOUNCE_WAIT_MS). */
  bounceWaitMs?: number;
}

export class DeviceResources implements DevicePools {
  readonly send: BufferPool;
  readonly recv: BufferPool;
  readonly bounce: BufferPool;
  private readonly slabMrs = new Map<number, SlabKey>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  /** rxe or siw: sends are posted from the addon's poster thread (native/README.md). */
  readonly software: boolean;

  private constructor(readonly binding: RdmaBinding, readonly context: NativeContext, readonly pd: NativeProtectionDomain, deviceName: string, private readonly o: DeviceOptions) {
    this.software = isSoftwareRdmaDevice(deviceName);
    const register = (slab: ArrayBuffer) => new binding.MemoryRegion(pd, slab, Access.LOCAL_WRITE);
    const allocate = (bytes: number) => binding.allocSlab(bytes);
    const free = (slab: ArrayBuffer) => binding.freeSlab(slab);
    const credits = o.limits.receiveCreditMax + 1;
    this.recv = new BufferPool({ unitBytes: o.limits.maxReceiveSize, unitsPerSlab: credits, maxUnits: credits * o.maxConnections, allocate, register, free });
    this.send = new BufferPool({ unitBytes: o.limits.maxSendSize, unitsPerSlab: 256, maxUnits: 256 * Math.max(4, o.maxConnections), allocate, register, free });
    const ioUnits = Math.ceil(o.limits.maxReadWriteSize / BOUNCE_UNIT_BYTES);
    this.bounce = new BufferPool({ unitBytes: BOUNCE_UNIT_BYTES, unitsPerSlab: 64, maxUnits: Math.max(4 * ioUnits, 256), allocate, register, free });
  }

  /** Opens the device, registers the first slab of each pool and every cache slab; ENOMEM says to raise RLIMIT_MEMLOCK. */
  static async open(binding: RdmaBinding, deviceName: string, o: DeviceOptions): Promise<DeviceResources> {
    const context = await binding.openContext(deviceName);
    const pd = new binding.ProtectionDomain(context);
    const device = new DeviceResources(binding, context, pd, deviceName, o);
    try {
      for (const pool of [device.recv, device.send, device.bounce]) pool.give(pool.tryTake(1) ?? []);
      device.registerCache();
    } catch (err) {
      device.close();
      throw memlockError(err, 'SMB Direct buffers');
    }
    return device;
  }

  slabMr(slabId: number): SlabKey | undefined {
    return this.slabMrs.get(slabId);
  }

  /** Units of the bounce pool one connection may hold at once: its share, at least one largest READ/WRITE. */
  get bounceCap(): number {
    const ioUnits = Math.ceil(this.o.limits.maxReadWriteSize / BOUNCE_UNIT_BYTES);
    const share = Math.floor((this.o.bounceShare ?? BOUNCE_SHARE) * this.bounce.maxUnits);
    return Math.min(this.bounce.maxUnits, Math.max(ioUnits, share));
  }

  /** The pools for one connection; `onStarved` runs once if a bounce take waited too long. */
  connectionPools(onStarved: (err: PoolWaitTimeout) => void): ConnectionPools {
    const bounce = new PoolShare(this.bounce, this.bounceCap, this.o.bounceWaitMs ?? BOUNCE_WAIT_MS, onStarved);
    return { send: this.send, recv: this.recv, bounce, slabMr: (id) => this.slabMr(id) };
  }

  /**
   * One memory region per cache slab, registered synchronously when the cache announces the slab
   * (existing slabs at once, new ones before their pages hold data) and deregistered by the
   * cleanup the cache runs when it releases the slab. A failure for an existing slab fails open()
   * (with the memlock advice); a later one is logged and that slab's pages are bounced.
   */
  private registerCache(): void {
    const cache = this.o.cache;
    if (!cache) return;
    let firstFailure: unknown = null;
    let subscribing = true;
    this.unsubscribe = cache.onSlab((slab) => {
      try {
        return this.registerSlab(slab.id, slab.memory);
      } catch (err) {
        if (subscribing) firstFailure ??= err;
        else this.o.log.error({ err: memlockError(err, `cache slab ${slab.id}`).message }, 'SMB Direct: cache slab not registered; its pages will be bounced');
        return undefined;
      }
    });
    subscribing = false;
    if (firstFailure) throw firstFailure;
  }

  private registerSlab(id: number, memory: Buffer): (() => void) | undefined {
    if (this.closed) return undefined;
    const mr = new this.binding.MemoryRegion(this.pd, memory, Access.LOCAL_WRITE);
    const key: SlabKey = { addr: mr.addr, lkey: mr.lkey };
    this.slabMrs.set(id, key);
    return () => {
      if (this.slabMrs.get(id) === key) this.slabMrs.delete(id);
      mr.close();
    };
  }

  /** Deregisters everything; connections on this device must be closed first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.(); // runs each slab's cleanup: its MR is closed and forgotten
    this.send.close();
    this.recv.close();
    this.bounce.close();
    this.pd.close();
    this.context.close();
  }
}
