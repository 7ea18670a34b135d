// An idiomatic layer over the binding's rdma_cm classes: one CmChannel per process (or
// per server) routes each event to the RdmaCmId it belongs to, and the multi-step CM
// exchanges become promises. No protocol policy: what to put in private data, when to
// accept and how to size queues stays with the caller.
import { EventEmitter } from 'node:events';
import type { CmEventRecord, ConnParams, NativeCmEventChannel, NativeCmId, RdmaBinding, SocketAddress } from './binding.js';
import type { CmEventName } from './constants.js';

/** Raised when a CM exchange ends in a failure event (REJECTED, UNREACHABLE, ...). */
export class CmEventError extends Error {
  constructor(readonly event: CmEventRecord) {
    super(`rdma_cm: ${event.name} (status ${event.status})`);
    this.name = 'CmEventError';
  }
}

const FAILURES: readonly CmEventName[] = ['ADDR_ERROR', 'ROUTE_ERROR', 'CONNECT_ERROR', 'UNREACHABLE', 'REJECTED', 'DEVICE_REMOVAL'];

/** Owns a native CM event channel and the ids created on it. */
export class CmChannel {
  readonly native: NativeCmEventChannel;
  private readonly ids = new Map<NativeCmId, RdmaCmId>();

  constructor(readonly binding: RdmaBinding) {
    this.native = new binding.CmEventChannel((event) => this.dispatch(event));
  }

  /** A new RC id on this channel. */
  createId(): RdmaCmId {
    return this.track(new this.binding.CmId(this.native));
  }

  /** Number of ids created here and not closed yet. */
  get openIds(): number {
    return this.ids.size;
  }

  /** Stops event delivery; ids still open keep the native channel until they close. */
  close(): void {
    this.native.close();
  }

  /** @internal */
  forget(native: NativeCmId): void {
    this.ids.delete(native);
  }

  private track(native: NativeCmId): RdmaCmId {
    const id = new RdmaCmId(this, native);
    this.ids.set(native, id);
    return id;
  }

  private dispatch(event: CmEventRecord): void {
    if (event.name === 'CONNECT_REQUEST') {
      const incoming = this.track(event.id);
      const listener = event.listenId ? this.ids.get(event.listenId) : undefined;
      if (listener && listener.listenerCount('connectRequest') > 0) {
        listener.emit('connectRequest', incoming, event);
      } else {
        incoming.reject();
        incoming.close();
      }
      return;
    }
    this.ids.get(event.id)?.deliver(event);
  }
}

export interface RdmaCmIdEvents {
  /** Every event for this id, after the promise helpers saw it. */
  event: [CmEventRecord];
  /** On a listening id: an incoming connection to accept or reject (then close). */
  connectRequest: [RdmaCmId, CmEventRecord];
  established: [CmEventRecord];
  disconnected: [CmEventRecord];
}

/** One rdma_cm id. Close it when done: an open id keeps the process alive. */
export class RdmaCmId extends EventEmitter<RdmaCmIdEvents> {
  private waiter: { names: readonly CmEventName[]; settle: (event: CmEventRecord) => void } | null = null;
  private disconnectedEvent: CmEventRecord | null = null;
  private disconnectSent = false;
  private closed = false;

  constructor(private readonly channel: CmChannel, readonly native: NativeCmId) {
    super();
  }

  get deviceName(): string | null {
    return this.native.deviceName;
  }
  get localAddress(): SocketAddress | null {
    return this.native.localAddress;
  }
  get remoteAddress(): SocketAddress | null {
    return this.native.remoteAddress;
  }
  get isDisconnected(): boolean {
    return this.disconnectedEvent !== null;
  }

  /** bind + listen; port 0 picks a free port (see localAddress). */
  listen(address: SocketAddress, backlog = 64): void {
    this.native.bind(address);
    this.native.listen(backlog);
  }

  /** resolveAddr then resolveRoute; afterwards deviceName names the device to use. */
  async resolve(destination: SocketAddress, timeoutMs = 2000, source?: SocketAddress): Promise<void> {
    this.native.resolveAddr(destination, timeoutMs, source);
    await this.expect('ADDR_RESOLVED');
    this.native.resolveRoute(timeoutMs);
    await this.expect('ROUTE_RESOLVED');
  }

  /** Active side, after resolve() and creating the QP: resolves with ESTABLISHED. */
  connect(params: ConnParams = {}): Promise<CmEventRecord> {
    this.native.connect(params);
    return this.expect('ESTABLISHED');
  }

  /** Passive side, on an id from 'connectRequest' with its QP: resolves with ESTABLISHED. */
  accept(params: ConnParams = {}): Promise<CmEventRecord> {
    this.native.accept(params);
    return this.expect('ESTABLISHED');
  }

  reject(privateData?: Uint8Array): void {
    this.native.reject(privateData);
  }

  /** Sends a disconnect (flushing the QP) and resolves once DISCONNECTED arrived. */
  async disconnect(): Promise<void> {
    if (this.disconnectedEvent) return;
    const done = this.expect('DISCONNECTED');
    try {
      this.disconnectSent = true;
      this.native.disconnect();
    } catch (err) {
      if (this.disconnectedEvent) return; // the peer was first
      throw err;
    }
    await done;
  }

  /** Idempotent. Close the QP on this id first, or the id lingers until it is closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.close();
    this.channel.forget(this.native);
    this.waiter?.settle({ id: this.native, event: -1, name: 'CLOSED', status: 0 });
  }

  /** @internal Called by the channel for each event on this id. */
  deliver(event: CmEventRecord): void {
    if (event.name === 'DISCONNECTED') {
      this.disconnectedEvent = event;
      this.answerDisconnect();
    }
    const waiter = this.waiter;
    if (waiter && (waiter.names.includes(event.name as CmEventName) || FAILURES.includes(event.name as CmEventName))) {
      this.waiter = null;
      waiter.settle(event);
    }
    if (event.name === 'ESTABLISHED') this.emit('established', event);
    if (event.name === 'DISCONNECTED') this.emit('disconnected', event);
    this.emit('event', event);
  }

  /** The peer disconnected: reply (IB CM DREP) so its DISCONNECTED comes without a timeout. */
  private answerDisconnect(): void {
    if (this.disconnectSent || this.closed) return;
    this.disconnectSent = true;
    try {
      this.native.disconnect();
    } catch {
      // already disconnected locally (e.g. the QP went to error): nothing to answer
    }
  }

  /** Waits for one of names; a failure event (or close) rejects with CmEventError. */
  private expect(...names: CmEventName[]): Promise<CmEventRecord> {
    if (names.includes('DISCONNECTED') && this.disconnectedEvent) return Promise.resolve(this.disconnectedEvent);
    if (this.waiter) return Promise.reject(new Error(`rdma_cm: already waiting for ${this.waiter.names.join('/')}`));
    return new Promise((resolve, reject) => {
      this.waiter = {
        names,
        settle: (event) => (names.includes(event.name as CmEventName) ? resolve(event) : reject(new CmEventError(event))),
      };
    });
  }
}
