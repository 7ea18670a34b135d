// An in-memory stand-in for two connected RC queue pairs, so the SMB Direct connection engine
// (smbdirect/connection.ts) runs in unit tests without a device: SENDs land in the peer's
// posted receives (waiting, like infinite RNR retries, when none is posted), RDMA READ/WRITE
// copy between registered ranges and fail with REM_ACCESS_ERR outside them, completions
// arrive asynchronously as arrays, and a disconnect flushes what is still posted.
import { EventEmitter } from 'node:events';
import type { Completion, RecvWr, SendWr, Sge } from '../../native/binding.js';
import { SendFlags, WcFlags, WcOpcode, WcStatus, WrOpcode } from '../../native/constants.js';
import type { RdmaCmId } from '../../native/cm.js';
import type { RcEndpoint } from '../../native/rc-endpoint.js';
import { BufferPool, type RegisteredMemory } from '../../smbdirect/buffer-pool.js';
import type { DevicePools } from '../../smbdirect/device.js';

interface Region {
  addr: bigint;
  bytes: Buffer;
  lkey: number;
  rkey: number;
  remote: boolean;
}

/** Registered memory of one side: addresses are unique across every FakeMemory. */
export class FakeMemory {
  private static nextAddr = 0x1000_0000n;
  private static nextKey = 1;
  readonly regions: Region[] = [];

  register(memory: ArrayBuffer | Buffer, remote = false): RegisteredMemory & { bytes: Buffer } {
    const bytes = Buffer.isBuffer(memory) ? memory : Buffer.from(memory);
    const addr = FakeMemory.nextAddr;
    FakeMemory.nextAddr += BigInt(bytes.length + 0x10000);
    const key = FakeMemory.nextKey++;
    const region = { addr, bytes, lkey: key, rkey: key + 0x100000, remote };
    this.regions.push(region);
    return { addr, lkey: region.lkey, rkey: region.rkey, bytes, close: () => this.regions.splice(this.regions.indexOf(region), 1) };
  }

  /** The bytes of [addr, addr + length) under key, or null when the key does not cover them. */
  view(addr: bigint, length: number, key: number, remote: boolean): Buffer | null {
    for (const r of this.regions) {
      if ((remote ? r.rkey : r.lkey) !== key || (remote && !r.remote)) continue;
      const at = Number(addr - r.addr);
      if (at >= 0 && at + length <= r.bytes.length) return r.bytes.subarray(at, at + length);
    }
    return null;
  }

  gather(sgList: readonly Sge[]): Buffer | null {
    const parts: Buffer[] = [];
    for (const s of sgList) {
      const v = this.view(s.addr, s.length, s.lkey, false);
      if (!v) return null;
      parts.push(v);
    }
    return Buffer.concat(parts);
  }

  scatter(sgList: readonly Sge[], data: Buffer): boolean {
    let at = 0;
    for (const s of sgList) {
      const v = this.view(s.addr, s.length, s.lkey, false);
      if (!v) return false;
      at += data.copy(v, 0, at, at + s.length);
    }
    return true;
  }

  /** Memory regions of cache slabs by slab id, as the device registers them (DevicePools.slabMr). */
  readonly slabMrs = new Map<number, RegisteredMemory>();

  /** Register a cache slab's memory (no copy: the device reads and writes `memory` itself). */
  registerSlab(id: number, memory: Buffer): RegisteredMemory {
    const mr = this.register(memory);
    this.slabMrs.set(id, mr);
    return mr;
  }

  /** Send, receive and bounce pools over this memory (small units so tests exercise reuse). */
  pools(o: { recvBytes: number; sendBytes: number; bounceBytes?: number }): DevicePools {
    const mk = (unitBytes: number, maxUnits: number) =>
      new BufferPool({ unitBytes, unitsPerSlab: 64, maxUnits, allocate: (n) => new ArrayBuffer(n), register: (slab) => this.register(slab) });
    return { recv: mk(o.recvBytes, 1024), send: mk(o.sendBytes, 1024), bounce: mk(o.bounceBytes ?? 4096, 4096), slabMr: (id) => this.slabMrs.get(id) as never };
  }
}

const CAPS = { maxSendWr: 64, maxRecvWr: 300, maxSendSge: 4, maxRecvSge: 1, maxInlineData: 0 };

export class FakeEndpoint extends EventEmitter<{ send: [Completion[]]; recv: [Completion[]] }> {
  peer!: FakeEndpoint;
  readonly qp = { caps: { ...CAPS }, qpNum: 1 };
  private readonly posted: RecvWr[] = [];
  private readonly waiting: Array<{ data: Buffer; inv: boolean }> = [];
  private readonly outstanding: SendWr[] = [];
  private broken = false;
  closed = false;
  /** Drop every SEND from now on without delivering it (a peer that went silent). */
  deaf = false;

  constructor(readonly memory: FakeMemory) {
    super();
  }

  postRecv(wrs: RecvWr[]): void {
    if (this.closed) throw new Error('QP closed');
    this.posted.push(...wrs);
    while (this.waiting.length && this.posted.length) {
      const m = this.waiting.shift()!;
      this.deliver(m.data, m.inv);
    }
  }

  postSend(wrs: SendWr[]): void {
    if (this.closed) throw new Error('QP closed');
    for (const wr of wrs) if ((wr.sgList?.length ?? 0) > this.qp.caps.maxSendSge) throw Object.assign(new Error('too many SGEs'), { errno: 22 });
    this.outstanding.push(...wrs);
    setImmediate(() => this.execute(wrs));
  }

  private execute(wrs: SendWr[]): void {
    const done: Completion[] = [];
    for (const wr of wrs) {
      this.outstanding.splice(this.outstanding.indexOf(wr), 1);
      const status = this.broken ? WcStatus.WR_FLUSH_ERR : this.run(wr);
      if (status !== WcStatus.SUCCESS) this.broken = true;
      if (wr.flags! & SendFlags.SIGNALED || status !== WcStatus.SUCCESS) done.push(completion(wr.wrId, status, 0, WcOpcode.SEND));
    }
    if (!this.closed && done.length) this.emit('send', done);
  }

  private run(wr: SendWr): number {
    const sg = wr.sgList ?? [];
    if (wr.opcode === WrOpcode.SEND || wr.opcode === WrOpcode.SEND_WITH_INV) {
      const data = this.memory.gather(sg);
      if (!data) return WcStatus.LOC_PROT_ERR;
      if (!this.deaf) this.peer.arrive(data, wr.opcode === WrOpcode.SEND_WITH_INV);
      return WcStatus.SUCCESS;
    }
    const length = sg.reduce((n, s) => n + s.length, 0);
    const remote = this.peer.memory.view(wr.remoteAddr!, length, wr.rkey!, true);
    if (!remote) return WcStatus.REM_ACCESS_ERR;
    if (wr.opcode === WrOpcode.RDMA_WRITE) {
      const data = this.memory.gather(sg);
      if (!data) return WcStatus.LOC_PROT_ERR;
      data.copy(remote);
      return WcStatus.SUCCESS;
    }
    if (wr.opcode === WrOpcode.RDMA_READ) return this.memory.scatter(sg, remote) ? WcStatus.SUCCESS : WcStatus.LOC_PROT_ERR;
    return WcStatus.GENERAL_ERR;
  }

  private arrive(data: Buffer, inv: boolean): void {
    if (this.closed) return;
    if (this.posted.length === 0) this.waiting.push({ data, inv });
    else this.deliver(data, inv);
  }

  private deliver(data: Buffer, inv: boolean): void {
    const wr = this.posted.shift()!;
    const ok = this.memory.scatter(wr.sgList ?? [], data);
    const c = completion(wr.wrId, ok ? WcStatus.SUCCESS : WcStatus.LOC_LEN_ERR, data.length, WcOpcode.RECV, inv ? WcFlags.WITH_INV : 0);
    setImmediate(() => !this.closed && this.emit('recv', [c]));
  }

  /** The QP goes to error: everything posted completes with WR_FLUSH_ERR. */
  flush(): void {
    this.broken = true;
    const recvs = this.posted.splice(0).map((wr) => completion(wr.wrId, WcStatus.WR_FLUSH_ERR, 0, WcOpcode.RECV));
    setImmediate(() => {
      if (this.closed) return;
      if (recvs.length) this.emit('recv', recvs);
    });
  }

  close(): void {
    this.closed = true;
  }
}

function completion(wrId: number, status: number, byteLen: number, opcode: number, wcFlags = 0): Completion {
  return { wrId, status, opcode, byteLen, qpNum: 1, wcFlags, vendorErr: 0 };
}

export class FakeCmId extends EventEmitter<{ disconnected: [unknown] }> {
  peer!: FakeCmId;
  readonly remoteAddress = { host: '10.0.0.2', port: 5445 };
  isDisconnected = false;
  closed = false;

  constructor(private readonly ep: FakeEndpoint) {
    super();
  }

  async disconnect(): Promise<void> {
    if (this.isDisconnected) return;
    this.isDisconnected = true;
    this.ep.flush();
    if (!this.peer.isDisconnected) {
      setImmediate(() => {
        this.peer.isDisconnected = true;
        this.peer.ep.flush();
        this.peer.emit('disconnected', {});
      });
    }
  }

  close(): void {
    this.closed = true;
  }
}

export interface FakeSide {
  memory: FakeMemory;
  ep: FakeEndpoint;
  id: FakeCmId;
  pools: DevicePools;
  /** The fakes typed as what SmbdConnection takes. */
  cm: RdmaCmId;
  rc: RcEndpoint;
}

/** Two connected sides with their own memory and pools. */
export function fakePair(sizes = { recvBytes: 1364, sendBytes: 1364 }): [FakeSide, FakeSide] {
  const side = (): FakeSide => {
    const memory = new FakeMemory();
    const ep = new FakeEndpoint(memory);
    const id = new FakeCmId(ep);
    return { memory, ep, id, pools: memory.pools(sizes), cm: id as unknown as RdmaCmId, rc: ep as unknown as RcEndpoint };
  };
  const a = side();
  const b = side();
  a.ep.peer = b.ep;
  b.ep.peer = a.ep;
  a.id.peer = b.id;
  b.id.peer = a.id;
  return [a, b];
}
