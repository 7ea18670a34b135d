import { Command, HeaderFlag, commandName } from '../smb2/constants.js';
import type { Smb2Header } from '../smb2/header.js';
import { Status, statusName } from '../smb2/status.js';
import type { Logger } from './log.js';
import type { ServerCore } from './server-core.js';
import type { ConnectionState, Session } from './state.js';
import { goesAsync, type ChainState, type HandlerResult, type RemoteBuffers, type RequestContext } from './handler.js';
import { splitCompound, chainResponses } from './compound.js';
import { admitHeader, isDrop, refuseCancel, type AdmittedPdu } from './validate.js';
import { inheritFromChain, runRequest, type CommandTable } from './dispatch.js';
import { encodeResponse, type EncodedResponse } from './response.js';
import { signResponses } from './sign.js';
import type { SendStage } from './send.js';
import { RequestList, type InProgress } from './async-requests.js';
import { CompoundSize } from './compound-size.js';
import { PipelineContext } from './request-context.js';
import type { MessagePayloads } from './message-payloads.js';
import { SMB1_PROTOCOL_ID, SMB2_PROTOCOL_ID } from '../smb2/header.js';
import { answerSmb1Negotiate } from './handlers/negotiate.js';
import { contiguousPart, type ContiguousPart, type ReceivedMessage } from './message-pieces.js';

/** What the pipeline needs from the connection that runs it. */
export interface PipelineHost {
  readonly conn: ConnectionState;
  readonly core: ServerCore;
  readonly log: Logger;
  readonly send: SendStage;
  readonly commands: CommandTable;
  /** A fresh owner for the READ payloads of one reply (a message's, or an async request's final response). */
  payloads(): MessagePayloads;
  /** Largest response message the transport carries. */
  maxResponseBytes(): number;
  /** Close the connection after a protocol error. */
  drop(kind: string, why: string): void;
  limitHit(limit: string): void;
  /** A SESSION_SETUP succeeded. */
  authenticated(): void;
}

type WriteData = Omit<ContiguousPart, 'message'>;

/** What the PDUs of one received message share. */
interface MessageState {
  chain: ChainState;
  payloads: MessagePayloads;
  size: CompoundSize;
  compound: boolean;
  /**
   * Settles once the reply to this message (with its interim responses) was handed to the
   * transport; made only when an element goes async (sentOf), which is what waits for it.
   */
  sent?: Promise<void>;
  markSent?: () => void;
  /** Set once an element went async: the related elements after it run when this settles, [MS-SMB2] 3.3.5.2.7.2. */
  waitFor?: Promise<unknown>;
  /** Where a lone WRITE's data is when `message` holds only its head (contiguousPart). */
  data: WriteData;
}

/** What a transport without RDMA (direct TCP) offers every request. */
const NO_REMOTE_BUFFERS: RemoteBuffers = Object.freeze({});

/** The final outcome of an async request: no longer a GoAsync. */
interface Final {
  result: HandlerResult;
  session?: Session;
}

/**
 * The request pipeline of one connection; each stage is its own module:
 * split (compound.ts) → validate (validate.ts) → dispatch and handler (dispatch.ts,
 * handlers/) → encode (response.ts) → chain (compound.ts) → sign (sign.ts) → send and
 * release/account (send.ts, message-payloads.ts). A request that goes async (any element of a
 * compound) is answered in its message's reply with an interim STATUS_PENDING response; its
 * final response comes back to encode → sign → send alone, after that reply.
 */
export class RequestPipeline {
  /** Connection.RequestList and AsyncCommandList: what a CANCEL can name. */
  readonly requests = new RequestList();

  constructor(private readonly host: PipelineHost) {}

  /** One received message, whole or in pieces (message-pieces.ts); its payloads are settled by the caller once this resolves. */
  async message(received: ReceivedMessage, payloads: MessagePayloads): Promise<void> {
    const h = this.host;
    const { message, pieces, incoming } = contiguousPart(received);
    const protocol = message.length >= 4 ? message.readUInt32LE(0) : 0;
    if (protocol === SMB1_PROTOCOL_ID && !h.conn.negotiated) return this.smb1Negotiate(message);
    if (protocol !== SMB2_PROTOCOL_ID) return h.drop('framing', `unexpected protocol id 0x${protocol.toString(16)}`);
    let pdus: Buffer[];
    try {
      pdus = splitCompound(message);
    } catch (err) {
      return h.drop('decode', (err as Error).message);
    }
    const m: MessageState = { chain: {}, payloads, size: new CompoundSize(h.maxResponseBytes()), compound: pdus.length > 1, data: { pieces, incoming } };
    try {
      const responses: EncodedResponse[] = [];
      for (const pdu of pdus) {
        const response = await this.pdu(pdu, m);
        if (response === 'drop') return; // the payloads of the responses collected so far are released by the caller
        if (response) responses.push(response);
      }
      if (responses.length) await this.reply(responses, payloads);
    } finally {
      m.markSent?.();
    }
  }

  private sentOf(m: MessageState): Promise<void> {
    return (m.sent ??= new Promise<void>((resolve) => (m.markSent = resolve)));
  }

  private async smb1Negotiate(message: Buffer): Promise<void> {
    const answer = await answerSmb1Negotiate(this.host.core, this.host.conn, message);
    if (!answer) return this.host.drop('decode', 'bad SMB1 negotiate');
    await this.host.send.sendRaw(answer);
  }

  private async pdu(pdu: Buffer, m: MessageState): Promise<EncodedResponse | null | 'drop'> {
    const h = this.host;
    const admitted = admitHeader(h.conn, pdu);
    if (isDrop(admitted)) {
      h.drop(admitted.drop, admitted.why);
      return 'drop';
    }
    const { header } = admitted;
    if (header.command === Command.CANCEL) {
      this.cancel(header, pdu);
      return null;
    }
    const started = process.hrtime.bigint();
    const request = this.requests.begin(header);
    if (m.waitFor && header.flags & HeaderFlag.RELATED_OPERATIONS) return this.deferred(admitted, pdu, request, m, started);
    const ctx = this.context(admitted, pdu, request, m.chain, m.payloads, m.data);
    const { result: outcome, session } = await runRequest(ctx, h.commands);
    if (!goesAsync(outcome)) {
      this.requests.end(request);
      return this.finish(header, outcome, session, m, started);
    }
    // Cancelled before it went async (a CANCEL by MessageId), or no AsyncId left: answered at
    // once with what its handler makes of the cancellation.
    if (request.abort.signal.aborted || !this.requests.goAsync(request)) {
      request.abort.abort();
      const result = await outcome.final.catch((err: unknown) => this.failed(header, err));
      this.requests.end(request);
      return this.finish(header, result, session, m, started);
    }
    const final = outcome.final.then((result) => ({ result, session }));
    m.waitFor = final;
    void this.completeLater(request, final, h.payloads(), this.sentOf(m), started);
    return this.interim(request, m);
  }

  /**
   * A related element after one that went async, [MS-SMB2] 3.3.5.2.7.2: it is processed
   * asynchronously too, in order, once the one before it is final; an interim response now.
   */
  private deferred(pdu: AdmittedPdu, message: Buffer, request: InProgress, m: MessageState, started: bigint): EncodedResponse {
    if (!this.requests.goAsync(request)) {
      this.requests.end(request);
      return this.encode(pdu.header, { status: Status.INSUFFICIENT_RESOURCES }, undefined, m);
    }
    // Its interim response carries the ids it inherits so far; it inherits again when it runs.
    inheritFromChain({ header: pdu.header, chain: m.chain });
    const payloads = this.host.payloads();
    const final = (m.waitFor ?? Promise.resolve())
      .catch(() => {})
      .then(async (): Promise<Final> => {
        if (request.abort.signal.aborted) return { result: { status: Status.CANCELLED } };
        const ctx = this.context(pdu, message, request, m.chain, payloads, {});
        const { result, session } = await runRequest(ctx, this.host.commands);
        return { result: goesAsync(result) ? await result.final : result, session };
      });
    m.waitFor = final;
    void this.completeLater(request, final, payloads, this.sentOf(m), started);
    return this.interim(request, m);
  }

  /** The interim response, [MS-SMB2] 3.3.4.2: STATUS_PENDING with its AsyncId and credits; not signed (SHOULD NOT). */
  private interim(request: InProgress, m: MessageState): EncodedResponse {
    return this.encode(request.header, { status: Status.PENDING }, undefined, m, request.asyncId);
  }

  private context(pdu: AdmittedPdu, message: Buffer, request: InProgress, chain: ChainState, payloads: MessagePayloads, data: WriteData): RequestContext {
    const h = this.host;
    const { header, reader } = pdu;
    return new PipelineContext(h.core, h.conn, header, message, reader, chain, payloads, h.log, this.remote(payloads), this.requests.mayGoAsync, request.abort, data.pieces, data.incoming);
  }

  /** CANCEL, [MS-SMB2] 3.3.5.16: aborts the request it names when validate.ts allows it; never answered. */
  private cancel(header: Smb2Header, pdu: Buffer): void {
    const target = this.requests.find(header);
    if (!target) return;
    const refused = refuseCancel(this.host.conn, header, pdu, target.header);
    if (refused) {
      if (refused === 'signature') this.host.core.telemetry.protocolError('signature');
      this.host.log.debug({ why: refused, messageId: header.messageId.toString() }, 'CANCEL ignored');
      return;
    }
    target.abort.abort();
  }

  private failed(header: Smb2Header, err: unknown): HandlerResult {
    this.host.log.error({ err, command: commandName(header.command) }, 'async request failed');
    return { status: Status.INTERNAL_ERROR };
  }

  private finish(header: Smb2Header, outcome: HandlerResult, session: Session | undefined, m: MessageState, started: bigint): EncodedResponse | 'drop' {
    const h = this.host;
    if (outcome.payload) outcome.payload = m.payloads.adopt(outcome.payload);
    this.account(header, outcome, started);
    if (outcome.reply?.disconnect && !outcome.body) {
      h.drop('refused', 'handler asked to close the connection');
      return 'drop';
    }
    if (outcome.status === Status.SUCCESS && outcome.reply?.session?.state === 'valid') h.authenticated();
    const result = m.size.fit(outcome);
    if (result !== outcome) h.limitHit('compound_size');
    return this.encode(header, result, session, m);
  }

  private account(header: Smb2Header, result: HandlerResult, started: bigint): void {
    const h = this.host;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    h.core.telemetry.request(commandName(header.command), seconds, result.status);
    if (result.status !== Status.SUCCESS) {
      h.log.debug({ command: commandName(header.command), status: statusName(result.status), messageId: header.messageId.toString() }, 'answered with an error status');
    }
  }

  /** Interim and synchronous responses grant credits, [MS-SMB2] 3.3.1.2; the final response of an async request grants none. */
  private encode(header: Smb2Header, result: HandlerResult, session: Session | undefined, m: { compound: boolean }, asyncId?: bigint, final = false): EncodedResponse {
    const credits = final ? 0 : this.host.conn.credits.grant(header.credits);
    return encodeResponse(header, result, session, credits, { compound: m.compound, asyncId });
  }

  /**
   * The final response of an async request, [MS-SMB2] 3.3.4.2: same MessageId, its AsyncId,
   * alone in its message, and never before the reply that carried its interim response.
   */
  private async completeLater(request: InProgress, final: Promise<Final>, payloads: MessagePayloads, interimSent: Promise<void>, started: bigint): Promise<void> {
    const h = this.host;
    const { header } = request;
    try {
      const out = await final.catch((err: unknown): Final => ({ result: this.failed(header, err) }));
      await interimSent;
      this.requests.end(request);
      const { result, session } = out;
      if (result.payload) result.payload = payloads.adopt(result.payload);
      this.account(header, result, started);
      const fitted = new CompoundSize(h.maxResponseBytes()).fit(result);
      await this.reply([this.encode(header, fitted, session, { compound: false }, request.asyncId, true)], payloads);
    } finally {
      this.requests.end(request);
      payloads.settle();
    }
  }

  private async reply(responses: EncodedResponse[], payloads: MessagePayloads): Promise<void> {
    chainResponses(responses);
    signResponses(this.host.conn.dialect, responses);
    await this.host.send.send(responses, payloads);
  }

  private remote(payloads: MessagePayloads): RemoteBuffers {
    const t = this.host.conn.transport;
    if (!t.rdmaWrite && !t.rdmaRead && !t.rdmaReadInto) return NO_REMOTE_BUFFERS;
    return {
      write: t.rdmaWrite ? (payload, descriptors) => this.host.send.writeRemote(payload, descriptors, payloads) : undefined,
      read: t.rdmaRead ? (descriptors, length) => t.rdmaRead!(descriptors, length) : undefined,
      readInto: t.rdmaReadInto ? (descriptors, targets) => t.rdmaReadInto!(descriptors, targets) : undefined,
    };
  }
}
