// The verbs objects behind one RC connection, created and closed in the right order:
// a completion channel, a send CQ and a receive CQ on it, and the QP on the CM id.
// Completions arrive as arrays through the 'send' and 'recv' events.
import { EventEmitter } from 'node:events';
import type {
  Completion,
  NativeCompletionChannel,
  NativeCompletionQueue,
  NativeContext,
  NativeProtectionDomain,
  NativeQueuePair,
  QpCaps,
  RdmaBinding,
  RecvWr,
  SendWr,
} from './binding.js';
import type { RdmaCmId } from './cm.js';

export interface RcEndpointOptions {
  /** Entries of each CQ (default: the QP's work requests, plus slack). */
  cqe?: number;
  caps?: Partial<QpCaps>;
}

export class RcEndpoint extends EventEmitter<{ send: [Completion[]]; recv: [Completion[]] }> {
  readonly channel: NativeCompletionChannel;
  readonly sendCq: NativeCompletionQueue;
  readonly recvCq: NativeCompletionQueue;
  readonly qp: NativeQueuePair;
  private closed = false;

  /** id must have a device (resolved, or from a connect request); pd must be on it. */
  constructor(binding: RdmaBinding, readonly id: RdmaCmId, context: NativeContext, pd: NativeProtectionDomain, options: RcEndpointOptions = {}) {
    super();
    const caps = options.caps ?? {};
    const cqe = options.cqe ?? Math.max(caps.maxSendWr ?? 64, caps.maxRecvWr ?? 64) + 16;
    this.channel = new binding.CompletionChannel(context);
    try {
      this.sendCq = new binding.CompletionQueue(context, cqe, this.channel, (c) => this.emit('send', c));
      this.recvCq = new binding.CompletionQueue(context, cqe, this.channel, (c) => this.emit('recv', c));
      this.qp = new binding.QueuePair(id.native, pd, this.sendCq, this.recvCq, caps);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  postSend(wrs: SendWr[]): void {
    this.qp.postSend(wrs);
  }

  postRecv(wrs: RecvWr[]): void {
    this.qp.postRecv(wrs);
  }

  /** Idempotent; closes the QP, the CQs and the channel, not the CM id. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.qp?.close();
    this.sendCq?.close();
    this.recvCq?.close();
    this.channel.close();
  }
}

/** One context and protection domain per device name, opened on first use. */
export class DeviceContexts {
  private readonly opened = new Map<string, Promise<{ context: NativeContext; pd: NativeProtectionDomain }>>();

  constructor(private readonly binding: RdmaBinding) {}

  get(deviceName: string): Promise<{ context: NativeContext; pd: NativeProtectionDomain }> {
    let entry = this.opened.get(deviceName);
    if (!entry) {
      entry = this.binding.openContext(deviceName).then((context) => ({ context, pd: new this.binding.ProtectionDomain(context) }));
      this.opened.set(deviceName, entry);
      entry.catch(() => this.opened.delete(deviceName));
    }
    return entry;
  }

  /** Drops the contexts; objects still using them keep them alive until they close. */
  async close(): Promise<void> {
    const entries = [...this.opened.values()];
    this.opened.clear();
    for (const entry of entries) {
      const opened = await entry.catch(() => null);
      opened?.pd.close();
      opened?.context.close();
    }
  }
}
