import { HeaderFlag } from '../smb2/constants.js';
import type { Smb2Header } from '../smb2/header.js';

/** A request answered with an interim STATUS_PENDING response and not final yet, [MS-SMB2] 3.3.1.10 Request.AsyncId. */
export interface PendingRequest {
  readonly asyncId: bigint;
  readonly messageId: bigint;
  readonly sessionId: bigint;
  readonly abort: AbortController;
}

/**
 * The async requests of one connection, [MS-SMB2] 3.3.4.2 and 3.3.5.16: each gets an AsyncId
 * unique on the connection (never 0), and a CANCEL finds it by AsyncId when its header has
 * SMB2_FLAGS_ASYNC_COMMAND, otherwise by MessageId, and aborts it. Its handler then completes
 * it with STATUS_CANCELLED.
 */
export class AsyncRequests {
  private nextAsyncId = 1n;
  private readonly byAsyncId = new Map<bigint, PendingRequest>();

  get size(): number {
    return this.byAsyncId.size;
  }

  add(messageId: bigint, sessionId: bigint, abort: AbortController): PendingRequest {
    const pending = { asyncId: this.nextAsyncId++, messageId, sessionId, abort };
    this.byAsyncId.set(pending.asyncId, pending);
    return pending;
  }

  /** The request is final (answered or cancelled). */
  remove(pending: PendingRequest): void {
    this.byAsyncId.delete(pending.asyncId);
  }

  find(cancel: Smb2Header): PendingRequest | undefined {
    if (cancel.flags & HeaderFlag.ASYNC_COMMAND) return this.byAsyncId.get(cancel.asyncId);
    for (const p of this.byAsyncId.values()) if (p.messageId === cancel.messageId) return p;
    return undefined;
  }

  /** CANCEL, [MS-SMB2] 3.3.5.16: true when it named a pending request (which is aborted). No response is sent for a CANCEL. */
  cancel(header: Smb2Header): boolean {
    const pending = this.find(header);
    if (!pending) return false;
    pending.abort.abort();
    return true;
  }

  /** The connection is gone: every pending request gives up. */
  cancelAll(): void {
    for (const p of this.byAsyncId.values()) p.abort.abort();
  }
}
