import { DIRECT_TCP_HEADER_SIZE, DIRECT_TCP_MAX_MESSAGE } from './direct-tcp-framer.js';

/** What the batch needs of a socket (net.Socket has it; tests pass a counting stream). */
export interface BatchSocket {
  readonly destroyed: boolean;
  readonly writableLength: number;
  write(chunk: Buffer, callback: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Parts up to this size are copied into one buffer with their frame headers (the kernel copies
 * them anyway); larger ones, READ data from the page cache among them, go out as they are.
 */
export const COALESCE_MAX_PART = 512;

/** The frames of one turn and the promise every one of them resolves with. */
interface Batch {
  /** In order: each frame's length (its 4-byte header, written when the batch is joined), then its parts. */
  parts: Array<Buffer | number>;
  /** Bytes that are copied into the joined buffer: every header, and the parts small enough. */
  small: number;
  done: Promise<void>;
  settle(err?: Error | null): void;
}

/**
 * Direct-TCP frames ([MS-SMB2] 2.1) of one socket, gathered per event-loop turn: the first
 * frame of a turn schedules one flush (process.nextTick, which runs once the microtasks of
 * the current callback are drained: every response that callback produced is queued by
 * then), and the flush writes the whole batch in one socket write, in order. A lone
 * response waits for no timer. Every frame of a batch resolves when the batch was handed
 * to the kernel (the write callback), so a peer that does not read holds its senders.
 */
export class FrameBatch {
  private batch?: Batch;
  /** Bytes handed to the socket so far; minus its writableLength, what the kernel took. */
  private written = 0;

  constructor(
    private readonly socket: BatchSocket,
    /** Called after a flush that the kernel did not take whole (the send-stall watch). */
    private readonly queued: () => void = () => {},
  ) {}

  /** Queue one frame: the 4-byte header, then `parts`. A frame that cannot be framed is refused alone. */
  frame(parts: readonly Buffer[]): Promise<void> {
    let length = 0;
    for (const p of parts) length += p.length;
    if (length > DIRECT_TCP_MAX_MESSAGE) return Promise.reject(new RangeError(`SMB2 message of ${length} bytes exceeds direct-TCP framing`));
    if (this.socket.destroyed) return Promise.reject(new Error('connection closed'));
    const batch = (this.batch ??= this.open());
    batch.parts.push(length);
    batch.small += DIRECT_TCP_HEADER_SIZE;
    for (const p of parts) {
      if (p.length === 0) continue;
      batch.parts.push(p);
      if (p.length <= COALESCE_MAX_PART) batch.small += p.length;
    }
    return batch.done;
  }

  private open(): Batch {
    let settle!: (err?: Error | null) => void;
    const done = new Promise<void>((resolve, reject) => (settle = (err) => (err ? reject(err) : resolve())));
    process.nextTick(() => this.flush());
    return { parts: [], small: 0, done, settle };
  }

  /** Bytes the kernel has taken from this socket so far (grows while a slow peer reads). */
  get taken(): number {
    return this.written - this.socket.writableLength;
  }

  /** Write what this turn queued now (scheduled by the first frame; also before a disconnect). */
  flush(): void {
    const batch = this.batch;
    this.batch = undefined;
    if (!batch) return;
    if (this.socket.destroyed) return batch.settle(new Error('connection closed'));
    const out = coalesce(batch);
    for (const b of out) this.written += b.length;
    // A socket destroyed with the write still pending calls back without an error, though the
    // bytes did not go; a write the kernel took at once (nothing left queued) did go.
    let taken = false;
    const settle = (err?: Error | null) => batch.settle(err ?? (!taken && this.socket.destroyed ? new Error('connection closed') : null));
    try {
      if (out.length === 1) this.socket.write(out[0], settle);
      else this.writeCorked(out, settle);
    } catch (err) {
      batch.settle(err as Error);
      return;
    }
    taken = this.socket.writableLength === 0;
    if (!taken) this.queued();
  }

  /** Several buffers as one writev: cork, write each, uncork; the last write's callback settles the batch. */
  private writeCorked(out: Buffer[], settle: (err?: Error | null) => void): void {
    this.socket.cork();
    try {
      for (let i = 0; i < out.length - 1; i++) this.socket.write(out[i], noop);
      this.socket.write(out[out.length - 1], settle);
    } finally {
      this.socket.uncork();
    }
  }
}

function noop(): void {}

/** Headers and runs of small parts copied into one buffer; large parts kept as they are. */
function coalesce(batch: Batch): Buffer[] {
  const joined = Buffer.allocUnsafe(batch.small);
  const out: Buffer[] = [];
  let start = 0;
  let at = 0;
  for (const p of batch.parts) {
    if (typeof p === 'number') {
      at = joined.writeUInt32BE(p, at); // [MS-SMB2] 2.1: a zero byte, then the 24-bit length
      continue;
    }
    if (p.length <= COALESCE_MAX_PART) {
      at += p.copy(joined, at);
      continue;
    }
    if (at > start) out.push(joined.subarray(start, at));
    start = at;
    out.push(p);
  }
  if (at > start) out.push(joined.subarray(start, at));
  return out;
}
