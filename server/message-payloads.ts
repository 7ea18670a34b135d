import { Status, SmbStatusError } from '../smb2/status.js';
import type { ReadPayload } from './file-io.js';
import type { ReadBudget } from './read-budget.js';

/** Which READ budget stopped a request, for the limit metrics. */
export type ReadLimit = 'read_bytes_connection' | 'read_bytes_server';

export interface MessagePayloadsHooks {
  /** The connection is gone: waiting READs give up. */
  closed(): boolean;
  /** A READ has to wait for budget (the connection stops reading meanwhile) and when it stops waiting. */
  waiting(on: boolean): void;
  limitHit(limit: ReadLimit): void;
  /** Bytes that reached the client (by send or RDMA WRITE), counted once per payload when it is released. */
  delivered(payload: ReadPayload, bytes: number, forcedCopy: boolean): void;
}

/**
 * The READ payloads of one received message (a compound has several): the one owner that
 * admits them against the READ budgets, releases every one of them exactly once, whatever
 * happens to the message (sent, dropped, too large, connection lost), and accounts their
 * bytes. Handlers admit and adopt; the connection settles after the send.
 */
export class MessagePayloads {
  private admitted = 0;
  private readonly held = new Set<ReadPayload>();
  /** Bytes of each payload that reached the client, and whether the transport copied them on its own (`rdma zero copy = no`). */
  private readonly sent = new Map<ReadPayload, { bytes: number; forcedCopy: boolean }>();
  private settled = false;

  constructor(
    private readonly budget: ReadBudget,
    private readonly server: ReadBudget,
    private readonly hooks: MessagePayloadsHooks,
  ) {}

  /**
   * Reserve `bytes` of READ budget before reading. A READ that can never fit, or one that
   * would wait while an earlier READ of the same compound holds budget (that one is only
   * released after the whole compound is sent), gets STATUS_INSUFFICIENT_RESOURCES.
   */
  async admit(bytes: number): Promise<void> {
    let waited = false;
    try {
      for (;;) {
        if (this.settled || this.hooks.closed()) throw new SmbStatusError(Status.INSUFFICIENT_RESOURCES, 'connection closed');
        const full = this.budget.overflow(bytes);
        if (!full) break;
        if (!waited) this.hooks.limitHit(full === this.server ? 'read_bytes_server' : 'read_bytes_connection');
        if (this.budget.tooLarge(bytes) || this.admitted > 0) throw new SmbStatusError(Status.INSUFFICIENT_RESOURCES, 'READ budget exhausted');
        if (!waited) this.hooks.waiting(true);
        waited = true;
        await this.budget.changed();
      }
    } finally {
      if (waited) this.hooks.waiting(false);
    }
    this.budget.take(bytes);
    this.admitted += bytes;
  }

  /** Take ownership of a payload: its release() now also updates the accounting, once. */
  adopt(payload: ReadPayload): ReadPayload {
    if (this.held.has(payload)) return payload;
    let released = false;
    const owned: ReadPayload = {
      chunks: payload.chunks,
      regions: payload.regions,
      length: payload.length,
      path: payload.path,
      copyReason: payload.copyReason,
      copiedByReason: payload.copiedByReason,
      release: () => {
        if (released) return;
        released = true;
        this.held.delete(owned);
        this.budget.countPayload(-1);
        const sent = this.sent.get(owned);
        if (sent?.bytes) this.hooks.delivered(owned, sent.bytes, sent.forcedCopy);
        this.sent.delete(owned);
        payload.release();
      },
    };
    this.held.add(owned);
    this.budget.countPayload(1);
    if (this.settled) owned.release(); // produced after the message was settled: nothing will send it
    return owned;
  }

  /** `bytes` of this payload reached the client; `forcedCopy`: the transport copied them on its own. */
  delivered(payload: ReadPayload, bytes: number, forcedCopy = false): void {
    if (!this.held.has(payload)) return;
    this.sent.set(payload, { bytes, forcedCopy });
  }

  /** Release every payload and give the admitted bytes back. Safe to call more than once. */
  settle(): void {
    this.settled = true;
    for (const p of [...this.held]) p.release();
    if (this.admitted) this.budget.give(this.admitted);
    this.admitted = 0;
  }
}
