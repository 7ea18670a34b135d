// The verbs objects behind one RC connection, created and closed in the right order:
// a completion channel, a send CQ and a receive CQ on it, and the QP on the CM id.
// Completions arrive as arrays through the 'send' and 'recv' events.
// With `postFromThread`, sends are posted by the addon's poster thread; a post it could not
// make is reported through the 'postError' event (the QP is then unusable: close it).
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
  /**
   * Post sends from the addon's poster thread (for software devices, see `isSoftwareRdmaDevice`).
   * Not with memory-window binds: a window's new rkey is set once the poster's post returns,
   * which may be after its completion was read.
   */
  postFromThread?: boolean;
}

/**
 * A software device (rxe, siw) runs over a netdev that sysfs names as its `parent`; a user
 * QP's post_send on rxe does the whole protocol work inside the system call.
 */
export function isSoftwareRdmaDevice(deviceName: string, sysfs = '/sys'): boolean {
  return existsSync(join(sysfs, 'class/infiniband', deviceName, 'parent'));
}

export class RcEndpoint extends EventEmitter<{ send: [Completion[]]; recv: [Completion[]]; postError: [Error] }> {
  readonly channel: NativeCompletionChannel;
  readonly sendCq: NativeCompletionQueue;
  readonly recvCq: NativeCompletionQueue;
  readonly qp: NativeQueuePair;
  private closed = false;
  private readonly postFromThread: boolean;

  /** id must have a device (resolved, or from a connect request); pd must be on it. */
  constructor(binding: RdmaBinding, readonly id: RdmaCmId, context: NativeContext, pd: NativeProtectionDomain, options: RcEndpointOptions = {}) {
    super();
    const caps = options.caps ?? {};
    this.postFromThread = options.postFromThread ?? false;
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

  /** Inline, errors are thrown; from the poster thread, they arrive as 'postError'. */
  postSend(wrs: SendWr[]): void {
    if (!this.postFromThread) {
      this.qp.postSend(wrs);
      return;
    }
    this.qp.postSendAsync(wrs).catch((err: Error) => {
      if (!this.closed) this.emit('postError', err);
    });
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
