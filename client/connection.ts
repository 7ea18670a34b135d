import { Reader, Writer } from '../wire/index.js';
import { HEADER_SIZE, HeaderFlag, Command, Dialect } from '../smb2/constants.js';
import { decodeHeader, encodeHeader, headerDefaults, HeaderOffset, type Smb2Header } from '../smb2/header.js';
import { Status, statusName } from '../smb2/status.js';
import { signInPlace, verify } from '../auth/signing.js';
import type { PreauthHash } from '../auth/preauth.js';
import type { ClientTransport } from './transport.js';

/** A non-success NTSTATUS answered by the server. */
export class SmbError extends Error {
  constructor(
    readonly status: number,
    readonly command: number,
  ) {
    super(`${statusName(status)} (command ${command})`);
    this.name = 'SmbError';
  }
}

export interface Smb2Response {
  header: Smb2Header;
  /** The whole response message (one element of a compound). */
  message: Buffer;
  /** Reader positioned at the response body. */
  reader: Reader;
}

export interface RequestOptions {
  sessionId?: bigint;
  treeId?: number;
  /** Credits this request consumes (large MTU), [MS-SMB2] 3.2.4.1.5. */
  creditCharge?: number;
  flags?: number;
  /** Parts sent right after the body (WRITE data), never copied unless signing. */
  payload?: Buffer[];
  /** Resolve with the response even when its status is an error. */
  allowError?: boolean;
}

interface Pending {
  resolve(r: Smb2Response): void;
  reject(e: Error): void;
  allowError: boolean;
}

/** The client end of one SMB2 connection: message ids, credits, signing, response matching. */
export class Smb2Connection {
  dialect = 0;
  preauth?: PreauthHash;
  /** Credits asked for on every request. */
  creditRequest = 256;
  private nextMessageId = 0n;
  private credits = 1;
  private creditWaiters: Array<() => void> = [];
  private readonly pending = new Map<bigint, Pending>();
  private readonly signingKeys = new Map<bigint, { key: Buffer; always: boolean }>();
  private closedError?: Error;
  /** NEGOTIATE and SESSION_SETUP requests as sent, for the 3.1.1 preauth hash. */
  private readonly preauthRequests = new Map<bigint, Buffer>();

  constructor(readonly transport: ClientTransport) {
    transport.onMessage((m) => this.receive(m));
    transport.onClose((reason) => this.fail(reason ?? new Error('connection closed')));
  }

  get availableCredits(): number {
    return this.credits;
  }

  setSigningKey(sessionId: bigint, key: Buffer, always: boolean): void {
    this.signingKeys.set(sessionId, { key, always });
  }

  forgetSession(sessionId: bigint): void {
    this.signingKeys.delete(sessionId);
  }

  private async acquire(charge: number): Promise<bigint> {
    while (this.credits < charge) {
      if (this.closedError) throw this.closedError;
      await new Promise<void>((resolve) => this.creditWaiters.push(resolve));
    }
    this.credits -= charge;
    const id = this.nextMessageId;
    this.nextMessageId += BigInt(Math.max(1, charge));
    return id;
  }

  /** Encode one request; the caller sends it (alone or in a compound). */
  private encode(command: number, body: Buffer, messageId: bigint, opts: RequestOptions): Buffer {
    const w = new Writer(0, HEADER_SIZE + body.length);
    const charge = this.dialect === Dialect.SMB2_0_2 ? 0 : (opts.creditCharge ?? 1);
    encodeHeader(w, headerDefaults({
      command, creditCharge: charge,
      credits: this.creditRequest, flags: opts.flags ?? 0, messageId, treeId: opts.treeId ?? 0, sessionId: opts.sessionId ?? 0n,
    }));
    w.bytes(body);
    return w.finish();
  }

  private signParts(parts: Buffer[], sessionId: bigint, command: number): Buffer[] {
    const signing = this.signingKeys.get(sessionId);
    if (!signing || !signing.always || command === Command.SESSION_SETUP) return parts;
    const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    signInPlace(this.dialect, signing.key, whole);
    return [whole];
  }

  /** Send one request and wait for its final response. */
  async request(command: number, body: Buffer, opts: RequestOptions = {}): Promise<Smb2Response> {
    const charge = opts.creditCharge ?? 1;
    const messageId = await this.acquire(charge);
    const head = this.encode(command, body, messageId, opts);
    const parts = this.signParts([head, ...(opts.payload ?? [])], opts.sessionId ?? 0n, command);
    if (command === Command.NEGOTIATE || command === Command.SESSION_SETUP) this.preauthRequests.set(messageId, head);
    const reply = this.expect(messageId, opts.allowError ?? false);
    // If the send fails, the connection fails and rejects the reply too: only the send's error is reported.
    reply.catch(() => {});
    await this.transport.send(parts);
    return reply;
  }

  /** Send several requests as one compound ([MS-SMB2] 3.2.4.1.4); `related` chains them. */
  async compound(requests: Array<{ command: number; body: Buffer; opts?: RequestOptions }>, related: boolean): Promise<Smb2Response[]> {
    const messages: Buffer[] = [];
    const replies: Array<Promise<Smb2Response>> = [];
    for (const [i, r] of requests.entries()) {
      const opts = { ...r.opts, allowError: true, flags: (r.opts?.flags ?? 0) | (related && i > 0 ? HeaderFlag.RELATED_OPERATIONS : 0) };
      const messageId = await this.acquire(opts.creditCharge ?? 1);
      let msg = this.encode(r.command, r.body, messageId, opts);
      if (i < requests.length - 1) {
        const pad = (8 - (msg.length % 8)) % 8;
        msg = Buffer.concat([msg, Buffer.alloc(pad)]);
        msg.writeUInt32LE(msg.length, HeaderOffset.NEXT_COMMAND);
      }
      messages.push(...this.signParts([msg], opts.sessionId ?? 0n, r.command));
      const reply = this.expect(messageId, true);
      reply.catch(() => {});
      replies.push(reply);
    }
    await this.transport.send(messages);
    return Promise.all(replies);
  }

  /** The NEGOTIATE/SESSION_SETUP request sent with this message id (consumed). */
  lastRequest(messageId: bigint): Buffer | undefined {
    const m = this.preauthRequests.get(messageId);
    this.preauthRequests.delete(messageId);
    return m;
  }

  private expect(messageId: bigint, allowError: boolean): Promise<Smb2Response> {
    return new Promise((resolve, reject) => {
      if (this.closedError) return reject(this.closedError);
      this.pending.set(messageId, { resolve, reject, allowError });
    });
  }

  private receive(message: Buffer): void {
    try {
      this.receiveCompound(message);
    } catch (err) {
      this.fail(err as Error);
      this.transport.close();
    }
  }

  private receiveCompound(message: Buffer): void {
    let at = 0;
    for (;;) {
      const reader = new Reader(message, at);
      const header = decodeHeader(reader);
      const end = header.nextCommand ? at + header.nextCommand : message.length;
      this.deliver(header, message.subarray(at, end));
      if (!header.nextCommand) return;
      at = end;
    }
  }

  private deliver(header: Smb2Header, message: Buffer): void {
    this.credits += header.credits;
    for (const w of this.creditWaiters.splice(0)) w();
    if (header.status === Status.PENDING && header.flags & HeaderFlag.ASYNC_COMMAND) return;
    const pending = this.pending.get(header.messageId);
    if (!pending) return;
    this.pending.delete(header.messageId);
    const signing = this.signingKeys.get(header.sessionId);
    if (signing && header.flags & HeaderFlag.SIGNED && !verify(this.dialect, signing.key, message)) {
      pending.reject(new Error(`bad signature on response to message ${header.messageId}`));
      return;
    }
    const isError = header.status !== Status.SUCCESS && header.status !== Status.MORE_PROCESSING_REQUIRED && header.status !== Status.BUFFER_OVERFLOW;
    if (isError && !pending.allowError) {
      pending.reject(new SmbError(header.status, header.command));
      return;
    }
    const reader = new Reader(message);
    reader.seek(HEADER_SIZE);
    pending.resolve({ header, message, reader });
  }

  private fail(err: Error): void {
    this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const w of this.creditWaiters.splice(0)) w();
  }

  close(): void {
    this.transport.close();
  }
}
