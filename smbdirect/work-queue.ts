// The send queue of one QP as SMB Direct uses it: chains of work requests with only the last
// signalled, room counted against the queue depth (a signalled completion frees its whole
// chain), RDMA READs kept within the initiator depth, and each chain's completion handed
// back as a promise. After the QP is destroyed, `flushAll` settles whatever never completed.
import type { Completion, SendWr } from '../native/binding.js';
import { SendFlags, WcStatus, WrOpcode, wcStatusName } from '../native/constants.js';
import type { PoolUnit } from './buffer-pool.js';
import type { RdmaOp } from './rdma-plan.js';

interface Chain {
  slots: number;
  reads: number;
  /** Send units to give back when the chain completes. */
  units?: PoolUnit[];
  settle(c: Completion): void;
}

export interface WorkQueueOptions {
  postSend(wrs: SendWr[]): void;
  depth: number;
  initiatorDepth: number;
  /** Null while the connection is open; the error to fail new work with once it is not. */
  closed(): Error | null;
  giveUnits(units: PoolUnit[]): void;
}

export class WorkQueue {
  private readonly chains = new Map<number, Chain>();
  private readonly waiters: Array<() => void> = [];
  private nextWrId = 1;
  private used = 0;
  private reads = 0;

  constructor(private readonly o: WorkQueueOptions) {}

  get idle(): boolean {
    return this.chains.size === 0;
  }

  get full(): boolean {
    return this.used >= this.o.depth;
  }

  /**
   * Posts a chain once the queue has room. Resolves (when posted) with a promise of its
   * completion, which rejects on an error or flush completion.
   */
  async post(wrs: SendWr[], reads = 0, units?: PoolUnit[]): Promise<{ completed: Promise<void> }> {
    while (this.used + wrs.length > this.o.depth) {
      this.throwIfClosed();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.throwIfClosed();
    const wrId = this.nextWrId++;
    const last = wrs.length - 1;
    const chain = wrs.map((wr, i) => (i === last ? { ...wr, wrId, flags: (wr.flags ?? 0) | SendFlags.SIGNALED } : { ...wr, wrId: 0 }));
    let settle!: (c: Completion) => void;
    const completed = new Promise<void>((resolve, reject) => {
      settle = (c) => (c.status === WcStatus.SUCCESS ? resolve() : reject(new Error(`SMB Direct work request failed: ${wcStatusName(c.status)}`)));
    });
    completed.catch(() => {});
    this.chains.set(wrId, { slots: wrs.length, reads, units, settle });
    this.used += wrs.length;
    try {
      this.o.postSend(chain);
    } catch (err) {
      this.chains.delete(wrId);
      this.used -= wrs.length;
      this.reads -= reads;
      throw err;
    }
    return { completed };
  }

  /** Posts and waits for the completion. */
  async run(wrs: SendWr[]): Promise<void> {
    await (await this.post(wrs)).completed;
  }

  /**
   * RDMA READs or WRITEs in chains of at most half the queue (READs: at most the initiator
   * depth in flight). Resolves once every chain completed; rejects only after every chain
   * settled, so the memory they use may be reused when it returns.
   */
  async rdma(kind: 'read' | 'write', ops: RdmaOp[]): Promise<void> {
    const opcode = kind === 'read' ? WrOpcode.RDMA_READ : WrOpcode.RDMA_WRITE;
    const per = Math.max(1, Math.min(this.o.depth >> 1, kind === 'read' ? this.o.initiatorDepth : Infinity));
    const chains: Promise<void>[] = [];
    for (let at = 0; at < ops.length; at += per) {
      const batch = ops.slice(at, at + per);
      const wrs = batch.map((op) => ({ wrId: 0, opcode, sgList: op.sgList, remoteAddr: op.remoteAddr, rkey: op.rkey }));
      try {
        if (kind === 'read') await this.readSlots(batch.length);
        chains.push((await this.post(wrs, kind === 'read' ? batch.length : 0)).completed);
      } catch (err) {
        chains.push(Promise.reject(err));
        break;
      }
    }
    const failed = (await Promise.allSettled(chains)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private readSlots(n: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = (): void => {
        const closed = this.o.closed();
        if (closed) return reject(closed);
        if (this.reads === 0 || this.reads + n <= this.o.initiatorDepth) {
          this.reads += n;
          resolve();
        } else this.waiters.push(attempt);
      };
      attempt();
    });
  }

  /** Send completions; returns the first failed one, if any. */
  complete(list: readonly Completion[]): Completion | null {
    let failed: Completion | null = null;
    for (const c of list) {
      if (c.status !== WcStatus.SUCCESS) failed ??= c;
      const chain = this.chains.get(c.wrId);
      if (!chain) continue;
      this.release(c.wrId, chain);
      chain.settle(c);
    }
    this.wake();
    return failed;
  }

  /** Wakes everything waiting for room (they re-check, and fail if the connection closed). */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The QP is gone: chains that never completed are settled as flushed. */
  flushAll(): void {
    for (const [wrId, chain] of this.chains) {
      this.release(wrId, chain);
      chain.settle({ wrId, status: WcStatus.WR_FLUSH_ERR, opcode: 0, byteLen: 0, qpNum: 0, wcFlags: 0, vendorErr: 0 });
    }
    this.wake();
  }

  private release(wrId: number, chain: Chain): void {
    this.chains.delete(wrId);
    this.used -= chain.slots;
    this.reads -= chain.reads;
    if (chain.units) this.o.giveUnits(chain.units);
  }

  private throwIfClosed(): void {
    const closed = this.o.closed();
    if (closed) throw closed;
  }
}
