import { dialectName } from '../smb2/constants.js';
import type { PreauthHash } from '../auth/preauth.js';
import type { Transport } from './transport.js';
import type { Logger } from './log.js';
import type { ServerCore } from './server-core.js';
import type { Session, Open, ConnectionState, Negotiated } from './state.js';
import { CreditWindow } from './credits.js';
import { closeOpen } from './open-files.js';
import { preserveDurableOpens } from './durable/disconnect.js';
import { ReadBudget } from './read-budget.js';
import { MessagePayloads, type ReadLimit } from './message-payloads.js';
import { COMPOUND_SLACK } from './compound-size.js';
import { PauseGate } from './pause-gate.js';
import { copiedBytesOf, type ReadPayload } from './file-io.js';
import { RequestPipeline } from './pipeline.js';
import type { ReceivedMessage } from './message-pieces.js';
import type { ReceiveLedger } from './receive-pool.js';
import { SendStage } from './send.js';
import { handlers } from './handlers/index.js';
import type { CommandTable } from './dispatch.js';

/**
 * Messages of one connection processed at once; beyond this the transport stops reading,
 * so a client holding many credits cannot make the server buffer unbounded work.
 */
const MAX_IN_FLIGHT = 64;

export type { Negotiated };

/**
 * One client connection: the glue between its transport and its request pipeline
 * (pipeline.ts), the limits on what it may hold, and its sessions and opens.
 */
export class Connection implements ConnectionState {
  negotiated?: Negotiated;
  /** Connection.PreauthIntegrityHashValue for 3.1.1. */
  preauth?: PreauthHash;
  readonly credits: CreditWindow;
  readonly sessions = new Map<bigint, Session>();
  readonly opens = new Map<bigint, Open>();
  /** READ data admitted for this connection and not yet released. */
  readonly reads: ReadBudget;
  private nextVolatileId = 1n;
  private inFlight = 0;
  /** Bytes of the messages counted in inFlight: the pooled receive blocks they hold, and the length of the others. */
  requestBytes = 0;
  private unpooledBytes = 0;
  private receiveLedger?: ReceiveLedger;
  private idleWaiters: Array<() => void> = [];
  private readonly gate: PauseGate;
  private idleTimer?: NodeJS.Timeout;
  private authenticated = false;
  private readonly pipeline: RequestPipeline;
  closed = false;

  constructor(
    readonly id: number,
    readonly transport: Transport,
    readonly core: ServerCore<Connection>,
    readonly log: Logger,
    commands: CommandTable = handlers,
  ) {
    this.credits = new CreditWindow(core.options.limits.maxCredits);
    this.reads = new ReadBudget(() => this.core.options.limits.maxReadBytesPerConnection, core.reads);
    this.gate = new PauseGate(() => transport.pause?.(), () => transport.resume?.());
    this.pipeline = new RequestPipeline({
      conn: this,
      core,
      log,
      send: new SendStage(transport, log),
      commands,
      payloads: () => this.messagePayloads(),
      maxResponseBytes: () => this.maxResponseBytes(),
      drop: (kind, why) => this.drop(kind, why),
      limitHit: (limit) => this.limitHit(limit),
      authenticated: () => this.onAuthenticated(),
    });
    transport.onMessage((m) => this.receive(m));
    transport.onClose((reason) => void this.onClosed(reason));
    this.armIdleTimer();
  }

  get dialect(): number {
    return this.negotiated?.dialect ?? 0;
  }

  get dialectName(): string {
    return dialectName(this.dialect);
  }

  allocateFileId(): bigint {
    return this.nextVolatileId++;
  }

  private receive(message: ReceivedMessage): void {
    this.idleTimer?.refresh();
    if (++this.inFlight === MAX_IN_FLIGHT) this.gate.hold('in-flight');
    // A message in pooled receive blocks is counted by the blocks its connection holds, whole.
    const held = Buffer.isBuffer(message) ? undefined : message;
    const ledger = held?.ledger;
    if (ledger) this.receiveLedger = ledger;
    const counted = ledger ? 0 : message.length;
    this.unpooledBytes += counted;
    this.countRequestBytes();
    const payloads = this.messagePayloads();
    this.pipeline.message(message, payloads)
      .catch((err) => {
        this.log.error({ err }, 'request processing failed; closing connection');
        this.core.telemetry.protocolError('internal');
        this.transport.disconnect();
      })
      .finally(() => {
        payloads.settle();
        held?.release();
        this.unpooledBytes -= counted;
        this.countRequestBytes();
        if (this.inFlight-- === MAX_IN_FLIGHT) this.gate.release('in-flight');
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Received requests (WRITE data included) are bounded in bytes too: past the limit, stop reading. */
  private countRequestBytes(): void {
    const limit = this.core.options.limits.maxRequestBytesPerConnection;
    const over = this.requestBytes >= limit;
    this.requestBytes = this.unpooledBytes + (this.receiveLedger?.heldBytes ?? 0);
    if (!over && this.requestBytes >= limit) {
      this.limitHit('request_bytes_connection');
      this.gate.hold('request-bytes');
    } else if (over && this.requestBytes < limit) this.gate.release('request-bytes');
  }

  private messagePayloads(): MessagePayloads {
    return new MessagePayloads(this.reads, this.core.reads, {
      closed: () => this.closed,
      waiting: (on) => (on ? this.gate.hold('read-budget') : this.gate.release('read-budget')),
      limitHit: (limit: ReadLimit) => this.limitHit(limit),
      delivered: (payload: ReadPayload, bytes: number, forcedCopy: boolean) =>
        this.core.telemetry.readBytes(this.transport.kind, forcedCopy ? 'copy' : payload.path, bytes, forcedCopy ? { forced: bytes } : copiedBytesOf(payload, bytes)),
    });
  }

  limitHit(limit: string): void {
    this.core.telemetry.limitHit?.(limit);
  }

  /** Samba's `deadtime`: a connection without open files that sends nothing is closed. */
  private armIdleTimer(): void {
    const ms = this.core.options.limits.idleTimeoutMs;
    if (!ms) return;
    this.idleTimer = setTimeout(() => {
      // A frame on its way is the frame timeout's business, not idleness.
      const busy = this.inFlight > 0 || this.opens.size > 0 || (this.transport.bufferedBytes?.() ?? 0) > 0;
      if (busy) return void this.idleTimer?.refresh();
      this.limitHit('idle_timeout');
      this.log.info({ seconds: ms / 1000 }, 'closing idle connection');
      this.transport.disconnect();
    }, ms).unref();
  }

  /** Resolves when no request is being processed (bounded by the caller). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Largest response message: MaxReadSize plus room for compounded small responses, within what the transport carries. */
  private maxResponseBytes(): number {
    const wanted = this.core.options.maxIoSize + COMPOUND_SLACK;
    return Math.min(wanted, this.transport.maxSendBytes ?? wanted);
  }

  /** Frames as large as MaxWriteSize are accepted only from a client with a session. */
  private onAuthenticated(): void {
    if (this.authenticated) return;
    this.authenticated = true;
    this.transport.setMaxMessageBytes?.(this.core.options.limits.maxMessageBytes);
  }

  drop(kind: string, why: string): void {
    this.core.telemetry.protocolError(kind);
    this.log.warn({ kind, why }, 'closing connection after a protocol error');
    this.transport.disconnect();
  }

  private async onClosed(reason?: Error): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.pipeline.requests.cancelAll();
    this.core.reads.wake(); // READs of this connection waiting for budget give up
    if (reason) this.log.debug({ err: reason }, 'connection closed with an error');
    preserveDurableOpens(this.core, this); // durable opens wait for a reconnect, [MS-SMB2] 3.3.7.1
    await this.idle();
    preserveDurableOpens(this.core, this);
    await this.closeAll();
    this.core.connectionClosed(this);
  }

  /** Close every open and session (connection loss or server shutdown). */
  async closeAll(): Promise<void> {
    this.pipeline.requests.cancelAll();
    for (const open of [...this.opens.values()]) await closeOpen(this.core, this, open).catch(() => {});
    for (const session of this.sessions.values()) if (session.state === 'valid') this.core.telemetry.sessionClosed();
    this.sessions.clear();
  }
}
