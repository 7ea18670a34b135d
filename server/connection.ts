import { Reader, DecodeError } from '../wire/index.js';
import { Command, HeaderFlag, HEADER_SIZE, Dialect, commandName, dialectName } from '../smb2/constants.js';
import { decodeHeader, encodeHeader, HeaderOffset, SMB1_PROTOCOL_ID, SMB2_PROTOCOL_ID, type Smb2Header } from '../smb2/header.js';
import { encodeErrorResponse } from '../smb2/commands/error.js';
import { Status, statusName } from '../smb2/status.js';
import { Writer } from '../wire/index.js';
import { signPartsInPlace } from '../auth/signing.js';
import type { PreauthHash } from '../auth/preauth.js';
import type { Transport } from './transport.js';
import type { Logger } from './log.js';
import type { ServerCore } from './server-core.js';
import type { Session, Open, ConnectionState, Negotiated } from './state.js';
import type { ChainState, HandlerResult } from './handler.js';
import { CreditWindow } from './credits.js';
import { runRequest } from './dispatch.js';
import { answerSmb1Negotiate } from './handlers/negotiate.js';
import { closeOpen } from './open-files.js';
import { ReadBudget } from './read-budget.js';
import { MessagePayloads, type ReadLimit } from './message-payloads.js';
import { CompoundSize, COMPOUND_SLACK } from './compound-size.js';
import { PauseGate } from './pause-gate.js';
import type { ReadPayload } from './file-io.js';

/**
 * Messages of one connection processed at once; beyond this the transport stops reading,
 * so a client holding many credits cannot make the server buffer unbounded work.
 */
const MAX_IN_FLIGHT = 64;

/** One encoded response of a (possibly compound) reply: header+body, then payload chunks. */
interface EncodedResponse {
  parts: Buffer[];
  length: number;
  result: HandlerResult;
  sign?: { session: Session };
}

/** What the PDUs of one received message share. */
interface MessageState {
  chain: ChainState;
  payloads: MessagePayloads;
  size: CompoundSize;
  compound: boolean;
}

/** One client connection: message loop, compounds, credits, signing, and its sessions and opens. */
export type { Negotiated };

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
  /** Bytes of the messages counted in inFlight. */
  requestBytes = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly gate: PauseGate;
  private idleTimer?: NodeJS.Timeout;
  private authenticated = false;
  closed = false;

  constructor(
    readonly id: number,
    readonly transport: Transport,
    readonly core: ServerCore<Connection>,
    readonly log: Logger,
  ) {
    this.credits = new CreditWindow(core.options.limits.maxCredits);
    this.reads = new ReadBudget(() => this.core.options.limits.maxReadBytesPerConnection, core.reads);
    this.gate = new PauseGate(() => transport.pause?.(), () => transport.resume?.());
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

  private receive(message: Buffer): void {
    this.idleTimer?.refresh();
    if (++this.inFlight === MAX_IN_FLIGHT) this.gate.hold('in-flight');
    this.countRequestBytes(message.length);
    const payloads = this.messagePayloads();
    this.handleMessage(message, payloads)
      .catch((err) => {
        this.log.error({ err }, 'request processing failed; closing connection');
        this.core.telemetry.protocolError('internal');
        this.transport.disconnect();
      })
      .finally(() => {
        payloads.settle();
        this.countRequestBytes(-message.length);
        if (this.inFlight-- === MAX_IN_FLIGHT) this.gate.release('in-flight');
        if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** Received requests (WRITE data included) are bounded in bytes too: past the limit, stop reading. */
  private countRequestBytes(delta: number): void {
    const limit = this.core.options.limits.maxRequestBytesPerConnection;
    const over = this.requestBytes >= limit;
    this.requestBytes += delta;
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
      delivered: (payload: ReadPayload, bytes: number) => this.core.telemetry.readBytes(this.transport.kind, payload.path, bytes),
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

  private async handleMessage(message: Buffer, payloads: MessagePayloads): Promise<void> {
    const protocol = message.length >= 4 ? message.readUInt32LE(0) : 0;
    if (protocol === SMB1_PROTOCOL_ID && !this.negotiated) return this.sendRaw(await answerSmb1Negotiate(this.core, this, message));
    if (protocol !== SMB2_PROTOCOL_ID) return this.drop('framing', `unexpected protocol id 0x${protocol.toString(16)}`);
    let pdus: Buffer[];
    try {
      pdus = splitCompound(message);
    } catch (err) {
      return this.drop('decode', (err as Error).message);
    }
    const chain: ChainState = {};
    const responses: EncodedResponse[] = [];
    const size = new CompoundSize(this.maxResponseBytes());
    for (const pdu of pdus) {
      const response = await this.processPdu(pdu, { chain, payloads, size, compound: pdus.length > 1 });
      if (response === 'drop') return; // the payloads of the responses collected so far are released by the caller
      if (response) responses.push(response);
    }
    if (responses.length) await this.sendResponses(responses, payloads);
  }

  /** Largest response message: MaxReadSize plus room for compounded small responses, within what the transport carries. */
  private maxResponseBytes(): number {
    const wanted = this.core.options.maxIoSize + COMPOUND_SLACK;
    return Math.min(wanted, this.transport.maxSendBytes ?? wanted);
  }

  private async processPdu(pdu: Buffer, m: MessageState): Promise<EncodedResponse | null | 'drop'> {
    const reader = new Reader(pdu);
    let header: Smb2Header;
    try {
      header = decodeHeader(reader);
    } catch (err) {
      this.drop('decode', (err as Error).message);
      return 'drop';
    }
    if (header.flags & HeaderFlag.SERVER_TO_REDIR) {
      this.drop('decode', 'response sent to the server');
      return 'drop';
    }
    if (header.command === Command.CANCEL) return null; // nothing is ever pending long enough to cancel
    if (!this.negotiated && header.command !== Command.NEGOTIATE) {
      this.drop('sequence', `${commandName(header.command)} before NEGOTIATE`);
      return 'drop';
    }
    if (!this.credits.consume(header.messageId, this.negotiated && this.dialect > Dialect.SMB2_0_2 ? header.creditCharge : 1)) {
      this.drop('credits', `message id ${header.messageId} (charge ${header.creditCharge}) outside the credit window`);
      return 'drop';
    }
    const started = process.hrtime.bigint();
    const outcome = await runRequest({ core: this.core, conn: this, header, message: pdu, reader, chain: m.chain, payloads: m.payloads, log: this.log });
    if (outcome.result.payload) outcome.result.payload = m.payloads.adopt(outcome.result.payload);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.core.telemetry.request(commandName(header.command), seconds, outcome.result.status);
    if (outcome.result.status !== Status.SUCCESS) {
      this.log.debug({ command: commandName(header.command), status: statusName(outcome.result.status), messageId: header.messageId.toString() }, 'answered with an error status');
    }
    if (outcome.result.disconnect && !outcome.result.body) {
      this.drop('refused', 'handler asked to close the connection');
      return 'drop';
    }
    if (header.command === Command.SESSION_SETUP && outcome.result.status === Status.SUCCESS) this.onAuthenticated();
    const result = m.size.fit(outcome.result);
    if (result !== outcome.result) this.limitHit('compound_size');
    return this.encodeResponse(header, result, outcome.session, m.compound);
  }

  /** Frames as large as MaxWriteSize are accepted only from a client with a session. */
  private onAuthenticated(): void {
    if (this.authenticated) return;
    this.authenticated = true;
    this.transport.setMaxMessageBytes?.(this.core.options.limits.maxMessageBytes);
  }

  private encodeResponse(req: Smb2Header, result: HandlerResult, session: Session | undefined, compound: boolean): EncodedResponse {
    const granted = this.credits.grant(req.credits);
    const signer = result.signingSession ?? session;
    const wantsSign =
      !!signer?.signingKey &&
      (result.forceSign || (req.flags & HeaderFlag.SIGNED) !== 0 || signer.signingRequired) &&
      result.status !== Status.MORE_PROCESSING_REQUIRED;
    const flags =
      HeaderFlag.SERVER_TO_REDIR |
      (compound ? req.flags & HeaderFlag.RELATED_OPERATIONS : 0) |
      (req.flags & HeaderFlag.PRIORITY_MASK) |
      (wantsSign ? HeaderFlag.SIGNED : 0);
    const w = new Writer(0, HEADER_SIZE + (result.body?.length ?? 9));
    encodeHeader(w, {
      ...req,
      status: result.status,
      credits: granted,
      flags,
      nextCommand: 0,
      treeId: result.treeId ?? req.treeId,
      sessionId: req.command === Command.SESSION_SETUP ? (result.signingSession?.id ?? req.sessionId) : req.sessionId,
      signature: Buffer.alloc(16),
    });
    w.bytes(result.body ?? encodeErrorResponse(result.errorData));
    const head = Buffer.from(w.finish());
    result.onEncoded?.(head);
    const parts = [head, ...(result.payload?.chunks ?? [])];
    const length = head.length + (result.payload?.length ?? 0);
    return { parts, length, result, sign: wantsSign && signer ? { session: signer } : undefined };
  }

  private async sendResponses(responses: EncodedResponse[], payloads: MessagePayloads): Promise<void> {
    const all: Buffer[] = [];
    responses.forEach((r, i) => {
      if (i < responses.length - 1) {
        const pad = (8 - (r.length % 8)) % 8;
        if (pad) r.parts.push(Buffer.alloc(pad));
        r.parts[0].writeUInt32LE(r.length + pad, HeaderOffset.NEXT_COMMAND);
      }
      if (r.sign) signPartsInPlace(this.dialect, r.sign.session.signingKey as Buffer, r.parts);
      all.push(...r.parts);
    });
    const invalidateToken = responses.find((r) => r.result.invalidateToken !== undefined)?.result.invalidateToken;
    try {
      await this.transport.send(all, invalidateToken === undefined ? undefined : { invalidateToken });
      for (const r of responses) if (r.result.payload?.length) payloads.delivered(r.result.payload, r.result.payload.length);
    } catch (err) {
      // A frame that did not go out whole leaves the stream unusable.
      this.log.debug({ err }, 'send failed; closing connection');
      this.transport.disconnect();
    }
    if (responses.some((r) => r.result.disconnect)) this.transport.disconnect();
  }

  private async sendRaw(message: Buffer | null): Promise<void> {
    if (!message) return this.drop('decode', 'bad SMB1 negotiate');
    await this.transport.send([message]).catch(() => {});
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
    this.core.reads.wake(); // READs of this connection waiting for budget give up
    if (reason) this.log.debug({ err: reason }, 'connection closed with an error');
    await this.idle();
    await this.closeAll();
    this.core.connectionClosed(this);
  }

  /** Close every open and session (connection loss or server shutdown). */
  async closeAll(): Promise<void> {
    for (const open of [...this.opens.values()]) await closeOpen(this.core, this, open).catch(() => {});
    for (const session of this.sessions.values()) if (session.state === 'valid') this.core.telemetry.sessionClosed();
    this.sessions.clear();
  }
}

/** Split a compound message at its NextCommand offsets, [MS-SMB2] 3.3.5.2.7. */
export function splitCompound(message: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    if (message.length - at < HEADER_SIZE) throw new DecodeError('truncated SMB2 header');
    const next = message.readUInt32LE(at + HeaderOffset.NEXT_COMMAND);
    if (next === 0) {
      out.push(message.subarray(at));
      return out;
    }
    if (next % 8 !== 0 || next < HEADER_SIZE || at + next > message.length) throw new DecodeError(`bad NextCommand ${next}`);
    out.push(message.subarray(at, at + next));
    at += next;
  }
}
