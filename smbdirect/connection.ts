// One SMB Direct connection on an RC queue pair, both roles: receives posted from the pool
// and granted as credits, upper-layer messages fragmented into sends and reassembled from
// receives, keep-alives, RDMA READ/WRITE for SMB2 channels, and an orderly teardown that
// lets the device flush outstanding work before any buffer goes back. The credit and
// fragment rules live in credits.ts and reassembly.ts; this file only drives the device.
import type { Completion, SendWr, Sge } from '../native/binding.js';
import { WcFlags, WcStatus, WrOpcode, wcStatusName } from '../native/constants.js';
import type { RdmaCmId } from '../native/cm.js';
import type { RcEndpoint } from '../native/rc-endpoint.js';
import type { BufferDescriptor } from '../smb2/commands/buffer-desc.js';
import type { Logger } from '../server/log.js';
import type { FillTarget, PayloadData } from '../server/file-io.js';
import type { SendOptions, Transport } from '../server/transport.js';
import { DataFlag, type SmbdLimits } from './constants.js';
import { Credits } from './credits.js';
import { checkDataHeader, decodeDataHeader, encodeDataHeader, type DataHeader } from './messages.js';
import { Reassembly, fragmentSizes } from './reassembly.js';
import type { PoolUnit } from './buffer-pool.js';
import type { DevicePools } from './device.js';
import { checkDescriptors, planRdma } from './rdma-plan.js';
import { WorkQueue } from './work-queue.js';
import { gatherPayload, scatterTargets } from './gather.js';

export interface SmbdMetrics {
  rdmaWrite(bytes: number): void;
  rdmaRead(bytes: number): void;
  creditStall(): void;
  protocolError(kind: 'smbdirect'): void;
}

/** What was agreed in the negotiate exchange ([MS-SMBD] 3.1.5.2 / 3.1.5.7). */
export interface Negotiated {
  /** Largest message we may send (the peer's MaxReceiveSize, lowered to ours). */
  maxSendSize: number;
  /** Largest reassembled message the peer accepts. */
  peerMaxFragmentedSize: number;
  /** Largest RDMA transfer for one READ/WRITE. */
  maxReadWriteSize: number;
}

export interface SmbdConnectionOptions {
  id: RdmaCmId;
  ep: RcEndpoint;
  pools: DevicePools;
  limits: SmbdLimits;
  metrics: SmbdMetrics;
  log: Logger;
  /** RDMA READs in flight at once (the initiator depth agreed in the CM exchange). */
  initiatorDepth: number;
  /** Bounce every READ payload through registered buffers. */
  forceBounce?: boolean;
  /** SGEs per RDMA READ (the device's max_sge_rd); default the send SGE limit. */
  maxReadSge?: number;
  /** Largest message accepted until setMaxMessageBytes (the server's limit before authentication); default MaxFragmentedSize. */
  initialMaxMessageBytes?: number;
}

interface Outbound {
  parts: Buffer[];
  frags: Array<{ dataLength: number; remaining: number }>;
  next: number;
  partIndex: number;
  partOffset: number;
  flags: number;
  invalidateToken?: number;
  resolve(): void;
  reject(err: Error): void;
}

/** rxe flags a received SEND_WITH_INV with the kernel's bit instead of IBV_WC_WITH_INV (native/README.md). */
const RXE_WITH_INVALIDATE = 1 << 2;

type State = 'negotiating' | 'ready' | 'closing' | 'closed';

export class SmbdConnection implements Transport {
  readonly kind = 'rdma' as const;
  /** `rdma zero copy = no` (Transport.copiesReadData). */
  readonly copiesReadData: boolean;
  readonly peer: string;
  readonly remoteAddress?: string;
  readonly credits: Credits;
  negotiated: Negotiated | null = null;
  /** Messages that arrived by SEND_WITH_INV (the peer invalidated one of our memory keys). */
  invalidations = 0;
  private state: State = 'negotiating';
  private readonly reassembly: Reassembly;
  private readonly recvUnits = new Map<number, PoolUnit>();
  private readonly outbound: Outbound[] = [];
  private nextWrId = 1;
  private readonly wq: WorkQueue;
  private stalled = false;
  private waitingForUnit = false;
  private paused = false;
  private readonly held: Buffer[] = [];
  private messageHandler: ((m: Buffer) => void) | null = null;
  private rawHandler: ((bytes: Buffer) => void) | null = null;
  private readonly closeHandlers: Array<(reason?: Error) => void> = [];
  private closeReason?: Error;
  private keepalive: NodeJS.Timeout | null = null;
  private idleDeadline: NodeJS.Timeout | null = null;
  private finished: Promise<void> | null = null;

  constructor(private readonly o: SmbdConnectionOptions) {
    const remote = o.id.remoteAddress;
    this.peer = `rdma ${remote?.host ?? '?'}:${remote?.port ?? 0}`;
    this.remoteAddress = remote?.host;
    this.copiesReadData = o.forceBounce ?? false;
    this.credits = new Credits(o.limits.receiveCreditMax);
    this.reassembly = new Reassembly(Math.min(o.initialMaxMessageBytes ?? Infinity, o.limits.maxFragmentedSize));
    this.wq = new WorkQueue({
      postSend: (wrs) => o.ep.postSend(wrs),
      depth: o.ep.qp.caps.maxSendWr,
      initiatorDepth: o.initiatorDepth,
      closed: () => (this.isOpen ? null : (this.closeReason ?? new Error('SMB Direct connection closed'))),
      giveUnits: (units) => o.pools.send.give(units),
    });
    o.ep.on('recv', (list) => this.onRecv(list));
    o.ep.on('send', (list) => this.onSend(list));
    o.ep.on('postError', (err) => this.terminate(`post failed: ${err.message}`));
    o.id.on('disconnected', () => this.terminate('peer disconnected'));
  }

  /** Largest message accepted from the peer now. */
  get maxMessageBytes(): number {
    return this.reassembly.limit;
  }

  /** The server raises the limit once the client has authenticated (never past our MaxFragmentedSize). */
  setMaxMessageBytes(bytes: number): void {
    this.reassembly.limit = Math.min(bytes, this.o.limits.maxFragmentedSize);
  }

  /** The peer's MaxFragmentedSize: the server keeps responses within it. */
  get maxSendBytes(): number | undefined {
    return this.negotiated?.peerMaxFragmentedSize;
  }

  get isOpen(): boolean {
    return this.state === 'negotiating' || this.state === 'ready';
  }

  get maxSge(): number {
    return Math.max(1, this.o.ep.qp.caps.maxSendSge);
  }

  // ---- Transport ----

  /** Messages that arrived before a handler was set are held and handed over now. */
  onMessage(handler: (message: Buffer) => void): void {
    this.messageHandler = handler;
    this.flushHeld();
    this.refillAndGrant();
  }

  onClose(handler: (reason?: Error) => void): void {
    if (this.state === 'closed') handler(this.closeReason);
    else this.closeHandlers.push(handler);
  }

  bufferedBytes(): number {
    return this.reassembly.bufferedBytes + this.held.reduce((n, m) => n + m.length, 0);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.flushHeld();
    this.refillAndGrant();
  }

  /** Posts receives back up to the target and grants them at once if the peer is short. */
  private refillAndGrant(): void {
    if (!this.isOpen) return;
    this.refillReceives();
    if (this.state === 'ready' && this.credits.starvedPeer()) this.sendEmpty(0);
    this.pump();
  }

  private flushHeld(): void {
    while (!this.paused && this.messageHandler && this.held.length > 0) this.messageHandler(this.held.shift()!);
  }

  disconnect(): void {
    this.terminate('local disconnect');
  }

  close(): void {
    this.disconnect();
  }

  /** One upper-layer message, fragmented as needed; SEND_WITH_INV on its last fragment when asked. */
  send(parts: Buffer[], options: SendOptions = {}): Promise<void> {
    if (!this.isOpen || !this.negotiated) return Promise.reject(this.closeReason ?? new Error('SMB Direct connection not ready'));
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (total > this.negotiated.peerMaxFragmentedSize) {
      return Promise.reject(new Error(`message of ${total} bytes > the peer's MaxFragmentedSize ${this.negotiated.peerMaxFragmentedSize}`));
    }
    const frags = fragmentSizes(total, this.negotiated.maxSendSize - 24);
    return new Promise((resolve, reject) => {
      this.outbound.push({ parts, frags, next: 0, partIndex: 0, partOffset: 0, flags: 0, invalidateToken: options.invalidateToken, resolve, reject });
      this.pump();
    });
  }

  /** An empty data message: grants credits, or asks for a response (keep-alive). */
  private sendEmpty(flags: number): void {
    if (!this.isOpen || !this.negotiated) return;
    const unstarted = this.outbound.find((m) => m.next === 0);
    if (unstarted) {
      unstarted.flags |= flags;
      return;
    }
    this.outbound.push({ parts: [], frags: [{ dataLength: 0, remaining: 0 }], next: 0, partIndex: 0, partOffset: 0, flags, resolve: () => {}, reject: () => {} });
    this.pump();
  }

  rdmaWrite(descriptors: BufferDescriptor[], data: PayloadData): Promise<number> {
    const total = data.chunks.reduce((n, c) => n + c.length, 0);
    return this.rdmaOp('write', descriptors, total, async () => {
      const gathered = await gatherPayload(data, this.o.pools, this.o.forceBounce ?? false);
      return { segments: gathered.segments, units: gathered.units, after: () => total };
    });
  }

  /** RDMA READ into a new heap Buffer (through bounce units). */
  async rdmaRead(descriptors: BufferDescriptor[], length: number): Promise<Buffer> {
    let out = Buffer.alloc(0);
    await this.readInto(descriptors, length, () => [{ bytes: (out = Buffer.allocUnsafe(length)), region: null }]);
    return out;
  }

  /**
   * RDMA READ into the targets in order: region targets (fresh cache pages) are written by the
   * device itself, the others through bounce units and copied afterwards. Resolves with the
   * bytes placed without a copy. The targets' memory is undefined if it rejects.
   */
  rdmaReadInto(descriptors: BufferDescriptor[], targets: FillTarget[]): Promise<number> {
    return this.readInto(descriptors, targets.reduce((n, t) => n + t.bytes.length, 0), () => targets);
  }

  /** `targets` is called once the descriptors were found to hold `total` bytes. */
  private readInto(descriptors: BufferDescriptor[], total: number, targets: () => FillTarget[]): Promise<number> {
    return this.rdmaOp('read', descriptors, total, async () => {
      const scattered = await scatterTargets(targets(), this.o.pools, this.o.forceBounce ?? false);
      const after = (): number => {
        scattered.finish();
        return scattered.directBytes;
      };
      return { segments: scattered.segments, units: scattered.units, after };
    });
  }

  private async rdmaOp<T>(
    kind: 'read' | 'write',
    descriptors: BufferDescriptor[],
    total: number,
    prepare: () => Promise<{ segments: Sge[]; units: PoolUnit[]; after(): T }>,
  ): Promise<T> {
    if (!this.isOpen || !this.negotiated) throw this.closeReason ?? new Error('SMB Direct connection not ready');
    const bad = checkDescriptors(descriptors, total, this.negotiated.maxReadWriteSize);
    if (bad) {
      this.protocolError(`RDMA ${kind}: ${bad}`);
      throw new Error(`SMB Direct: ${bad}`);
    }
    if (total === 0) return (await prepare()).after();
    const { segments, units, after } = await prepare();
    try {
      const ops = planRdma(descriptors, segments, kind === 'read' ? Math.max(1, Math.min(this.maxSge, this.o.maxReadSge ?? this.maxSge)) : this.maxSge);
      await this.wq.rdma(kind, ops);
      if (kind === 'write') this.o.metrics.rdmaWrite(total);
      else this.o.metrics.rdmaRead(total);
      return after();
    } finally {
      if (units.length) this.o.pools.bounce.give(units);
    }
  }

  // ---- sending messages ----

  private pump(): void {
    while (this.isOpen && this.outbound.length > 0) {
      const m = this.outbound[0];
      if (!this.credits.canSend(this.credits.grantable())) {
        if (!this.stalled) {
          this.stalled = true;
          this.o.metrics.creditStall();
        }
        return;
      }
      if (this.wq.full) return;
      const unit = this.o.pools.send.tryTake(1)?.[0];
      if (!unit) {
        this.waitForSendUnit();
        return;
      }
      this.stalled = false;
      this.sendFragment(m, unit);
    }
  }

  /** The send pool is exhausted: pump again once a unit comes back (one waiter at a time). */
  private waitForSendUnit(): void {
    if (this.waitingForUnit) return;
    this.waitingForUnit = true;
    this.o.pools.send.take(1).then(
      (u) => {
        this.waitingForUnit = false;
        this.o.pools.send.give(u);
        this.pump();
      },
      () => (this.waitingForUnit = false),
    );
  }

  private sendFragment(m: Outbound, unit: PoolUnit): void {
    const frag = m.frags[m.next++];
    const ticket = this.credits.spend();
    const last = m.next === m.frags.length;
    const header = encodeDataHeader({
      creditsRequested: this.o.limits.sendCreditTarget, creditsGranted: ticket.grant, flags: ticket.flags | (m.next === 1 ? m.flags : 0),
      remainingDataLength: frag.remaining, dataLength: frag.dataLength,
    }, unit.bytes);
    let at = header.length;
    let left = frag.dataLength;
    while (left > 0) {
      const part = m.parts[m.partIndex];
      const n = Math.min(left, part.length - m.partOffset);
      part.copy(unit.bytes, at, m.partOffset, m.partOffset + n);
      at += n;
      left -= n;
      m.partOffset += n;
      if (m.partOffset === part.length) {
        m.partIndex++;
        m.partOffset = 0;
      }
    }
    if (last) this.outbound.shift();
    const invalidate = last && m.invalidateToken !== undefined;
    const wr: SendWr = {
      wrId: 0, opcode: invalidate ? WrOpcode.SEND_WITH_INV : WrOpcode.SEND,
      sgList: [{ addr: unit.addr, length: at, lkey: unit.lkey }], invalidateRkey: invalidate ? m.invalidateToken : undefined,
    };
    this.wq.post([wr], 0, [unit]).then(
      ({ completed }) => completed.then(() => { if (last) m.resolve(); }, (err: Error) => { m.reject(err); this.terminate(err.message); }),
      (err: Error) => { this.o.pools.send.give([unit]); m.reject(err); this.terminate(err.message); },
    );
  }

  private onSend(list: Completion[]): void {
    const failed = this.wq.complete(list);
    if (failed && this.isOpen) this.terminate(`send completion ${wcStatusName(failed.status)}`);
    this.checkDrained();
    this.pump();
  }

  // ---- receiving ----

  /** Posts receives up to the credit target (fewer when the pool is short; more come later). */
  refillReceives(): void {
    // Held messages (paused, or no handler yet) stop the grants: the peer runs out of credits.
    if (!this.isOpen || this.paused || this.held.length > 0) return;
    const want = this.credits.toPost();
    if (want === 0) return;
    const units = this.o.pools.recv.tryTake(want) ?? this.takeSome(want);
    if (units.length === 0) return;
    const wrs = units.map((unit) => {
      const wrId = this.nextWrId++;
      this.recvUnits.set(wrId, unit);
      return { wrId, sgList: [{ addr: unit.addr, length: this.o.limits.maxReceiveSize, lkey: unit.lkey }] };
    });
    try {
      this.o.ep.postRecv(wrs);
      this.credits.addPosted(wrs.length);
    } catch (err) {
      for (const wr of wrs) this.recvUnits.delete(wr.wrId);
      this.o.pools.recv.give(units);
      this.terminate(`posting receives failed: ${(err as Error).message}`);
    }
  }

  private takeSome(want: number): PoolUnit[] {
    const out: PoolUnit[] = [];
    for (let i = 0; i < want; i++) {
      const u = this.o.pools.recv.tryTake(1);
      if (!u) break;
      out.push(...u);
    }
    return out;
  }

  /** A negotiate message: no data header and no credit ([MS-SMBD] 3.1.5.2 / 3.1.5.7). */
  async sendRaw(bytes: Buffer): Promise<void> {
    const [unit] = await this.o.pools.send.take(1);
    bytes.copy(unit.bytes);
    const wr: SendWr = { wrId: 0, opcode: WrOpcode.SEND, sgList: [{ addr: unit.addr, length: bytes.length, lkey: unit.lkey }] };
    let completed: Promise<void>;
    try {
      completed = (await this.wq.post([wr], 0, [unit])).completed;
    } catch (err) {
      this.o.pools.send.give([unit]);
      throw err;
    }
    await completed;
  }

  /** Posts work requests of the caller's own (e.g. BIND_MW, LOCAL_INV) and waits for them. */
  async postAndWait(wrs: SendWr[]): Promise<void> {
    await this.wq.run(wrs);
  }

  /** The negotiate exchange reads the first message raw (see negotiate.ts). */
  expectRaw(handler: (bytes: Buffer) => void): void {
    this.rawHandler = handler;
  }

  /** Negotiation done: start data transfer with the agreed sizes and the peer's initial grant. */
  ready(n: Negotiated): void {
    this.negotiated = n;
    this.state = 'ready';
    this.armKeepalive();
    this.refillReceives();
    this.pump();
  }

  private onRecv(list: Completion[]): void {
    for (const c of list) {
      const unit = this.recvUnits.get(c.wrId);
      if (!unit) continue;
      this.recvUnits.delete(c.wrId);
      if (c.status !== WcStatus.SUCCESS) {
        this.credits.posted--;
        this.o.pools.recv.give([unit]);
        if (this.isOpen) this.terminate(`receive completion ${wcStatusName(c.status)}`);
        continue;
      }
      if (!this.isOpen) {
        this.credits.posted--;
        this.o.pools.recv.give([unit]);
        continue;
      }
      if (c.wcFlags & (WcFlags.WITH_INV | RXE_WITH_INVALIDATE)) this.invalidations++;
      this.receive(unit.bytes.subarray(0, Math.min(c.byteLen, unit.bytes.length)));
      this.o.pools.recv.give([unit]);
    }
    this.checkDrained();
    this.refillAndGrant();
  }

  private receive(bytes: Buffer): void {
    this.armKeepalive();
    const raw = this.rawHandler;
    if (raw) {
      this.credits.posted--;
      this.rawHandler = null;
      raw(bytes);
      return;
    }
    const overrun = this.credits.received();
    if (overrun) return this.protocolError(overrun);
    let h: DataHeader | null = null;
    try {
      h = decodeDataHeader(bytes);
    } catch {
      h = null;
    }
    const bad = checkDataHeader(bytes.length, h, this.reassembly.limit);
    if (bad || !h) return this.protocolError(bad ?? 'undecodable data message');
    this.credits.granted(h.creditsGranted, h.creditsRequested);
    const data = h.dataLength ? bytes.subarray(h.dataOffset, h.dataOffset + h.dataLength) : bytes.subarray(0, 0);
    const result = this.reassembly.add(data, h.remainingDataLength);
    if (result && 'error' in result) return this.protocolError(result.error);
    if (h.flags & DataFlag.RESPONSE_REQUESTED) this.sendEmpty(0);
    if (result) this.deliver(result.message);
  }

  private deliver(message: Buffer): void {
    if (this.paused || this.held.length > 0 || !this.messageHandler) this.held.push(message);
    else this.messageHandler(message);
  }

  // ---- keep-alive ----

  private armKeepalive(): void {
    if (this.idleDeadline) clearTimeout(this.idleDeadline);
    this.idleDeadline = null;
    if (this.keepalive) clearTimeout(this.keepalive);
    if (this.state !== 'ready' || this.o.limits.keepaliveMs <= 0) return;
    this.keepalive = setTimeout(() => {
      this.sendEmpty(DataFlag.RESPONSE_REQUESTED);
      this.idleDeadline = setTimeout(() => this.terminate('idle timeout: no answer to a keep-alive'), this.o.limits.idleTimeoutMs);
      this.idleDeadline.unref?.();
    }, this.o.limits.keepaliveMs);
    this.keepalive.unref?.();
  }

  // ---- teardown ----

  /** A violation of [MS-SMBD]: logged, counted, and the connection ends. */
  protocolError(reason: string): void {
    if (!this.isOpen) return;
    this.o.log.warn({ peer: this.peer, reason }, 'SMB Direct protocol error; disconnecting');
    this.o.metrics.protocolError('smbdirect');
    this.terminate(reason);
  }

  /** Ends the connection: disconnect (the QP flushes), wait for the flushes, then release everything. */
  terminate(reason: string): Promise<void> {
    if (this.finished) return this.finished;
    this.state = 'closing';
    this.closeReason = new Error(`SMB Direct connection closed: ${reason}`);
    this.o.log.debug({ peer: this.peer, reason }, 'SMB Direct connection closing');
    if (this.keepalive) clearTimeout(this.keepalive);
    if (this.idleDeadline) clearTimeout(this.idleDeadline);
    for (const m of this.outbound.splice(0)) m.reject(this.closeReason);
    this.wq.wake();
    this.finished = this.finish();
    return this.finished;
  }

  /**
   * Drops the QP and the CM id at once, without a disconnect or waiting for flushes, as a
   * crashed process would (tests of the server's handling of vanished peers).
   */
  abort(): void {
    if (this.finished) return;
    this.state = 'closing';
    this.closeReason = new Error('SMB Direct connection aborted');
    for (const m of this.outbound.splice(0)) m.reject(this.closeReason);
    this.o.ep.close();
    this.o.id.close();
    this.finished = this.finish(true);
  }

  private drainedWaiter: (() => void) | null = null;

  private checkDrained(): void {
    if (this.state === 'closing' && this.wq.idle && this.recvUnits.size === 0) this.drainedWaiter?.();
  }

  private async finish(aborted = false): Promise<void> {
    if (!aborted) {
      await Promise.race([this.o.id.disconnect().catch(() => {}), sleep(2000)]);
      const drained = new Promise<void>((resolve) => (this.drainedWaiter = resolve));
      this.checkDrained();
      await Promise.race([drained, sleep(2000)]);
    }
    this.o.ep.close();
    // The QP is gone: nothing can touch the buffers any more.
    const err = this.closeReason!;
    this.wq.flushAll();
    this.o.pools.recv.give([...this.recvUnits.values()]);
    this.recvUnits.clear();
    this.o.id.close();
    this.state = 'closed';
    for (const h of this.closeHandlers.splice(0)) h(err);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
