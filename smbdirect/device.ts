// What SMB Direct keeps per RDMA device: its context and protection domain, the registered
// send/receive/bounce pools, and one memory region per page-cache slab (so READ data goes
// to the wire from cache pages). Connections on a device share all of it.
import type { NativeContext, NativeMemoryRegion, NativeProtectionDomain, RdmaBinding } from '../native/binding.js';
import { Access } from '../native/constants.js';
import type { PageCache } from '../cache/index.js';
import type { Logger } from '../server/log.js';
import { BufferPool, memlockError } from './buffer-pool.js';
import type { SmbdLimits } from './constants.js';

/** Bounce units: big enough to keep SGE lists short, small enough to waste little on a short READ. */
export const BOUNCE_UNIT_BYTES = 64 * 1024;

/** The part of a device the data path uses (connection.ts, gather.ts). */
export interface DevicePools {
  send: BufferPool;
  recv: BufferPool;
  bounce: BufferPool;
  slabMr(slabId: number): NativeMemoryRegion | undefined;
}

export interface DeviceOptions {
  limits: SmbdLimits;
  /** Connections expected at once (sizes the pools' upper bounds). */
  maxConnections: number;
  /** Page-cache slabs to register, now and as they are created. */
  cache?: PageCache;
  log: Logger;
}

export class DeviceResources implements DevicePools {
  readonly send: BufferPool;
  readonly recv: BufferPool;
  readonly bounce: BufferPool;
  private readonly slabMrs = new Map<number, NativeMemoryRegion>();
  private unsubscribe: (() => void) | null = null;
  private closed = false;

  private constructor(readonly binding: RdmaBinding, readonly context: NativeContext, readonly pd: NativeProtectionDomain, private readonly o: DeviceOptions) {
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
    const device = new DeviceResources(binding, context, pd, o);
    try {
      for (const pool of [device.recv, device.send, device.bounce]) pool.give(pool.tryTake(1) ?? []);
      device.registerCache();
    } catch (err) {
      device.close();
      throw memlockError(err, 'SMB Direct buffers');
    }
    return device;
  }

  slabMr(slabId: number): NativeMemoryRegion | undefined {
    return this.slabMrs.get(slabId);
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
    this.slabMrs.set(id, mr);
    return () => {
      if (this.slabMrs.get(id) === mr) this.slabMrs.delete(id);
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
