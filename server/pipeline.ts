import { Command, commandName } from '../smb2/constants.js';
import type { Smb2Header } from '../smb2/header.js';
import { Status, statusName } from '../smb2/status.js';
import type { Logger } from './log.js';
import type { ServerCore } from './server-core.js';
import type { ConnectionState, Session } from './state.js';
import { goesAsync, type ChainState, type HandlerResult, type RemoteBuffers } from './handler.js';
import { splitCompound, chainResponses } from './compound.js';
import { admitHeader, isDrop, type AdmittedPdu } from './validate.js';
import { runRequest, type CommandTable } from './dispatch.js';
import { encodeResponse, type EncodedResponse } from './response.js';
import { signResponses } from './sign.js';
import type { SendStage } from './send.js';
import { AsyncRequests, type PendingRequest } from './async-requests.js';
import { CompoundSize } from './compound-size.js';
import type { MessagePayloads } from './message-payloads.js';
import { SMB1_PROTOCOL_ID, SMB2_PROTOCOL_ID } from '../smb2/header.js';
import { answerSmb1Negotiate } from './handlers/negotiate.js';

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

/** What the PDUs of one received message share. */
interface MessageState {
  chain: ChainState;
  payloads: MessagePayloads;
  size: CompoundSize;
  compound: boolean;
  last: boolean;
}

/**
 * The request pipeline of one connection; each stage is its own module:
 * split (compound.ts) → validate (validate.ts) → dispatch and handler (dispatch.ts,
 * handlers/) → encode (response.ts) → chain (compound.ts) → sign (sign.ts) → send and
 * release/account (send.ts, message-payloads.ts). Async requests (async-requests.ts) leave
 * the chain with an interim response and come back to encode → sign → send alone.
 */
export class RequestPipeline {
  readonly pending = new AsyncRequests();

  constructor(private readonly host: PipelineHost) {}

  /** One received message, whole; its payloads are settled by the caller once this resolves. */
  async message(message: Buffer, payloads: MessagePayloads): Promise<void> {
    const h = this.host;
    const protocol = message.length >= 4 ? message.readUInt32LE(0) : 0;
    if (protocol === SMB1_PROTOCOL_ID && !h.conn.negotiated) return this.smb1Negotiate(message);
    if (protocol !== SMB2_PROTOCOL_ID) return h.drop('framing', `unexpected protocol id 0x${protocol.toString(16)}`);
    let pdus: Buffer[];
    try {
      pdus = splitCompound(message);
    } catch (err) {
      return h.drop('decode', (err as Error).message);
    }
    const chain: ChainState = {};
    const size = new CompoundSize(h.maxResponseBytes());
    const responses: EncodedResponse[] = [];
    for (const [i, pdu] of pdus.entries()) {
      const m = { chain, payloads, size, compound: pdus.length > 1, last: i === pdus.length - 1 };
      const response = await this.pdu(pdu, m);
      if (response === 'drop') return; // the payloads of the responses collected so far are released by the caller
      if (response) responses.push(response);
    }
    if (responses.length) await this.reply(responses, payloads);
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
    const { header, reader } = admitted;
    if (header.command === Command.CANCEL) {
      this.pending.cancel(header);
      return null;
    }
    const started = process.hrtime.bigint();
    const abort = new AbortController();
    const remote = this.remote(m.payloads);
    const ctx = { core: h.core, conn: h.conn, header, message: pdu, reader, chain: m.chain, payloads: m.payloads, remote, cancelled: abort.signal, mayGoAsync: m.last, log: h.log };
    const { result: outcome, session } = await runRequest(ctx, h.commands);
    if (goesAsync(outcome)) {
      // Only the last request of a message may go async (ctx.mayGoAsync); one that went async
      // anyway is cancelled at once, so a compound can never wait on it.
      if (!m.last) {
        abort.abort();
        return this.finish(header, await outcome.final, session, m, started);
      }
      const pending = this.pending.add(header.messageId, header.sessionId, abort);
      void this.completeLater(admitted, pending, outcome.final, session, started);
      return this.encode(header, { status: Status.PENDING }, session, m, pending.asyncId);
    }
    return this.finish(header, outcome, session, m, started);
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
  private encode(header: Smb2Header, result: HandlerResult, session: Session | undefined, m: MessageState, asyncId?: bigint, final = false): EncodedResponse {
    const credits = final ? 0 : this.host.conn.credits.grant(header.credits);
    return encodeResponse(header, result, session, credits, { compound: m.compound, asyncId });
  }

  /** The final response of an async request, [MS-SMB2] 3.3.4.2: same MessageId, its AsyncId, alone in its message. */
  private async completeLater(pdu: AdmittedPdu, pending: PendingRequest, final: Promise<HandlerResult>, session: Session | undefined, started: bigint): Promise<void> {
    const h = this.host;
    const payloads = h.payloads();
    try {
      let result: HandlerResult;
      try {
        result = await final;
      } catch (err) {
        h.log.error({ err, command: commandName(pdu.header.command) }, 'async request failed');
        result = { status: Status.INTERNAL_ERROR };
      }
      this.pending.remove(pending);
      const m = { chain: {}, payloads, size: new CompoundSize(h.maxResponseBytes()), compound: false, last: true };
      if (result.payload) result.payload = payloads.adopt(result.payload);
      this.account(pdu.header, result, started);
      const fitted = m.size.fit(result);
      await this.reply([this.encode(pdu.header, fitted, session, m, pending.asyncId, true)], payloads);
    } finally {
      this.pending.remove(pending);
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
    return {
      write: t.rdmaWrite ? (payload, descriptors) => this.host.send.writeRemote(payload, descriptors, payloads) : undefined,
      read: t.rdmaRead ? (descriptors, length) => t.rdmaRead!(descriptors, length) : undefined,
    };
  }
}
