import { HeaderFlag } from '../smb2/constants.js';
import type { Smb2Header } from '../smb2/header.js';

/**
 * Async requests one connection may hold at once. [MS-SMB2] 3.3.4.2: when an operation would
 * need asynchronous processing but resources are constrained, the server MAY fail it; past
 * this a handler is told it may not go async (a blocking LOCK then gets LOCK_NOT_GRANTED).
 */
const MAX_ASYNC_REQUESTS = 512;

/**
 * A request being processed, [MS-SMB2] 3.3.1.13 Request: listed from admission until its
 * final response, with an AsyncId once it went async.
 */
export interface InProgress {
  /** Its header; for a related request, SessionId and TreeId become the inherited ones when it runs. */
  readonly header: Smb2Header;
  readonly abort: AbortController;
  asyncId?: bigint;
}

/**
 * Connection.RequestList and Connection.AsyncCommandList of one connection, [MS-SMB2] 3.3.1.7:
 * every request from admission to final response, found by MessageId, and those that went
 * async, found by AsyncId (unique on the connection, never 0, 3.3.4.2). A CANCEL
 * (3.3.5.16) looks up its target here; whether it may cancel it is validate.ts's call.
 */
export class RequestList {
  private nextAsyncId = 1n;
  private readonly byMessageId = new Map<bigint, InProgress>();
  private readonly byAsyncId = new Map<bigint, InProgress>();

  constructor(private readonly maxAsync = MAX_ASYNC_REQUESTS) {}

  /** Requests in progress (async ones included). */
  get size(): number {
    return this.byMessageId.size;
  }

  /** Requests that went async and are not final yet. */
  get asyncCount(): number {
    return this.byAsyncId.size;
  }

  /** Whether one more request may go async now. */
  get mayGoAsync(): boolean {
    return this.byAsyncId.size < this.maxAsync;
  }

  /** A request passed the connection-level checks (its MessageId is unique on the connection, 3.3.5.2.3). */
  begin(header: Smb2Header): InProgress {
    const request: InProgress = { header, abort: new AbortController() };
    this.byMessageId.set(header.messageId, request);
    return request;
  }

  /** Give the request an AsyncId, [MS-SMB2] 3.3.4.2; false when the connection holds as many async requests as it may. */
  goAsync(request: InProgress): boolean {
    if (request.asyncId !== undefined) return true;
    if (!this.mayGoAsync) return false;
    request.asyncId = this.nextAsyncId++;
    this.byAsyncId.set(request.asyncId, request);
    return true;
  }

  /** The request is final (answered, cancelled or dropped). Safe to call more than once. */
  end(request: InProgress): void {
    if (this.byMessageId.get(request.header.messageId) === request) this.byMessageId.delete(request.header.messageId);
    if (request.asyncId !== undefined && this.byAsyncId.get(request.asyncId) === request) this.byAsyncId.delete(request.asyncId);
  }

  /**
   * The request a CANCEL names, [MS-SMB2] 3.3.5.16: by AsyncId when its header has
   * SMB2_FLAGS_ASYNC_COMMAND (only requests that went async have one), else by MessageId.
   */
  find(cancel: Smb2Header): InProgress | undefined {
    if (cancel.flags & HeaderFlag.ASYNC_COMMAND) return this.byAsyncId.get(cancel.asyncId);
    const named = this.byMessageId.get(cancel.messageId);
    if (named || cancel.messageId !== 0n) return named;
    // MessageId 0 names no cancellable request (it is NEGOTIATE's). Samba 4.17's client sends
    // one when it cancels a request right after sending it (smbtorture smb2.notify does, before
    // any interim response): it means the newest request of its session still in progress.
    return [...this.byMessageId.values()].reverse().find((r) => r.header.sessionId === cancel.sessionId);
  }

  /** The connection is gone: every request in progress gives up. */
  cancelAll(): void {
    for (const r of this.byMessageId.values()) r.abort.abort();
    for (const r of this.byAsyncId.values()) r.abort.abort();
  }
}
