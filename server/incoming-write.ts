import { DecodeError, Reader } from '../wire/index.js';
import { Channel, Command, HEADER_SIZE, HeaderFlag } from '../smb2/constants.js';
import { decodeHeader } from '../smb2/header.js';
import { decodeWriteRequestHead, WRITE_REQUEST_FIXED_BYTES } from '../smb2/commands/write.js';
import { targetSpans, type FillTarget } from './file-io.js';
import type { PooledFrame, ReceiveBlocks, ReceiveLedger } from './receive-pool.js';

/** The header and fixed part of a WRITE request, [MS-SMB2] 2.2.1.2 and 2.2.21: what must be in before its data can be steered. */
export const WRITE_HEAD_BYTES = HEADER_SIZE + WRITE_REQUEST_FIXED_BYTES;

/**
 * Whether a direct-TCP frame that starts with `head` (WRITE_HEAD_BYTES) may be handed over
 * before its data is in: a lone (NextCommand 0), unsigned SMB2 WRITE with its data inline, right
 * after the fixed part, filling the rest of the frame. A signature covers the whole message and a
 * compound is cut at offsets, so anything else waits for its last byte as before.
 */
export function isStreamableWrite(head: Buffer, frameLength: number): boolean {
  const r = new Reader(head);
  try {
    const header = decodeHeader(r);
    if (header.command !== Command.WRITE || header.nextCommand !== 0 || (header.flags & HeaderFlag.SIGNED) !== 0) return false;
    const request = decodeWriteRequestHead(r);
    return request.channel === Channel.NONE && head.length + request.length === frameLength;
  } catch (err) {
    if (err instanceof DecodeError) return false;
    throw err;
  }
}

/**
 * A target span is read into in place only from this size on: a read costs a system call and a
 * trip through Node's stream code, which a copy of a few pages out of one large read into the
 * shared buffer beats (fresh pages that an eviction scattered come as single-page spans).
 */
const IN_PLACE_FROM = 64 * 1024;

/** Where the data goes: pooled receive blocks until the handler names targets, then the targets; dropped once nobody wants it. */
type Phase = 'held' | 'filling' | 'dropped';

/**
 * A large WRITE handed to the pipeline as soon as its header and fixed part are in, while its
 * data is still arriving (direct-tcp-framer.ts). Its handler validates the request and asks the
 * file for the memory the data will live in (cache pages: FileIo.writeFrom), then fillInto()
 * copies what came so far there and has the socket read the rest straight into that memory
 * (readTarget/placed): the TCP counterpart of an RDMA READ into fresh pages, with no receive
 * block and no second copy. A handler that refuses the WRITE never asks: release() drops the
 * rest of the data as it comes.
 */
export class IncomingWrite {
  /** The frame's length: header, fixed part and data. */
  readonly length: number;
  private phase: Phase = 'held';
  private received = 0;
  private held: PooledFrame;
  /** A handler asked for the data (fillInto or whole): it cannot be asked for twice. */
  private taken = false;
  /**
   * The held data, delivered by the blocks the moment its last byte is in (a later frame then
   * fills the same blocks), until it is copied out or released.
   */
  private delivered: { views: Buffer[]; release: () => void } | null = null;
  private spans: Buffer[] = [];
  private span = 0;
  private spanAt = 0;
  private inPlace = 0;
  private waiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private failure: Error | null = null;
  /** The data's length is counted in the connection's ledger (ReceiveBlocks.reserve) until blocks holding all of it count it, or release. */
  private reserved: boolean;

  /** `head`: the message's first WRITE_HEAD_BYTES (a copy of its own); `blocks`: where data goes until there are targets. */
  constructor(
    readonly head: Buffer,
    readonly dataLength: number,
    private readonly blocks: ReceiveBlocks,
  ) {
    this.length = head.length + dataLength;
    this.held = blocks.begin(dataLength);
    blocks.reserve(dataLength);
    this.reserved = true;
  }

  /** The connection's receive blocks, which count what this message holds in them. */
  get ledger(): ReceiveLedger {
    return this.blocks;
  }

  /** Every data byte has arrived. */
  get complete(): boolean {
    return this.received === this.dataLength;
  }

  /** Data bytes that came in a transient buffer (the socket's shared one): kept, copied to their target, or dropped. */
  accept(bytes: Buffer): void {
    if (this.phase === 'held') this.blocks.append(this.held, bytes);
    else if (this.phase === 'filling') this.copyIn(bytes);
    this.arrived(bytes.length);
  }

  /**
   * Memory the socket may read the next data bytes into, in place: the rest of the current target
   * span, never past the data's end; null when that is too little to be worth a read of its own
   * (the bytes then come through accept(), copied).
   */
  readTarget(): Buffer | null {
    if (this.phase !== 'filling' || this.complete) return null;
    const span = this.spans[this.span];
    const n = Math.min(span.length - this.spanAt, this.dataLength - this.received);
    return n >= IN_PLACE_FROM ? span.subarray(this.spanAt, this.spanAt + n) : null;
  }

  /** The socket read `count` data bytes into the memory readTarget() gave. */
  placed(count: number): void {
    if (this.phase !== 'filling') throw new Error('incoming WRITE: bytes placed without a target');
    this.inPlace += count;
    this.advance(count);
    this.arrived(count);
  }

  /**
   * Fill `targets` (exactly the data's length, in order) with the data; resolves once all of it
   * is there with the bytes the socket read in place, rejects if the connection ends first.
   */
  fillInto(targets: readonly FillTarget[]): Promise<number> {
    if (this.taken || this.phase !== 'held') return Promise.reject(new Error('incoming WRITE: data already taken'));
    this.taken = true;
    let total = 0;
    for (const target of targets) total += target.bytes.length;
    if (total !== this.dataLength) return Promise.reject(new RangeError(`incoming WRITE: ${total} bytes of targets for ${this.dataLength} bytes of data`));
    this.spans = targetSpans(targets).filter((span) => span.length > 0);
    const { views, release } = this.delivered ?? this.blocks.deliver(this.held);
    this.delivered = null;
    this.phase = 'filling';
    for (const view of views) this.copyIn(view);
    release();
    return this.whenComplete().then(() => this.inPlace);
  }

  /** The data as views of receive blocks, once it is all in (a file the data cannot be read into, or a pipe); held until release(). */
  async whole(): Promise<Buffer[]> {
    if (this.taken || this.phase !== 'held') throw new Error('incoming WRITE: data already taken');
    this.taken = true;
    await this.whenComplete();
    if (!this.delivered) throw new Error('incoming WRITE: released while waiting for its data');
    return this.delivered.views;
  }

  /** The request is done with: blocks it holds go back, and data still to come is dropped. Safe to call more than once. */
  release(): void {
    if (this.delivered) this.delivered.release();
    else if (this.phase === 'held') this.blocks.abandon(this.held);
    this.delivered = null;
    this.phase = 'dropped';
    this.unreserve();
  }

  /** The connection ended before the data did. */
  abort(reason: Error): void {
    if (this.complete || this.failure) return;
    this.failure = reason;
    if (this.phase === 'held') this.blocks.abandon(this.held);
    this.unreserve();
    this.waiter?.reject(reason);
    this.waiter = null;
  }

  private unreserve(): void {
    if (!this.reserved) return;
    this.reserved = false;
    this.blocks.unreserve(this.dataLength);
  }

  private whenComplete(): Promise<void> {
    if (this.complete) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private arrived(count: number): void {
    this.received += count;
    if (this.received > this.dataLength) throw new Error('incoming WRITE: more data than announced');
    if (this.complete) {
      if (this.phase === 'held') {
        this.delivered = this.blocks.deliver(this.held);
        this.unreserve(); // the delivered blocks count it now
      }
      this.waiter?.resolve();
      this.waiter = null;
    }
  }

  private copyIn(bytes: Buffer): void {
    for (let at = 0; at < bytes.length; ) {
      const n = bytes.copy(this.spans[this.span], this.spanAt, at);
      at += n;
      this.advance(n);
    }
  }

  /** Move the target cursor on by `count` bytes. */
  private advance(count: number): void {
    this.spanAt += count;
    while (this.span < this.spans.length && this.spanAt === this.spans[this.span].length) {
      this.span++;
      this.spanAt = 0;
    }
  }
}
