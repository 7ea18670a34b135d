import type { Socket } from 'node:net';
import { DecodeError } from '../wire/index.js';
import { MessagePieces, type ReceivedMessage } from './message-pieces.js';
import type { ReceivePool } from './receive-pool.js';

/** Direct-TCP transport header, [MS-SMB2] 2.1: a zero byte and a 24-bit big-endian length. */
export const DIRECT_TCP_HEADER_SIZE = 4;
/** The largest message a 24-bit length can frame. */
export const DIRECT_TCP_MAX_MESSAGE = 0xffffff;

export function directTcpHeader(length: number): Buffer {
  if (length > DIRECT_TCP_MAX_MESSAGE) throw new RangeError(`SMB2 message of ${length} bytes exceeds direct-TCP framing`);
  const h = Buffer.allocUnsafe(DIRECT_TCP_HEADER_SIZE);
  h.writeUInt32BE(length, 0);
  return h;
}

/**
 * Write one frame: the 4-byte header then every part, corked so the kernel sees one writev.
 * Parts are written as they are (file data from the page cache is never concatenated).
 * A frame that cannot be framed is refused before anything is corked or written.
 */
export function writeDirectTcpFrame(socket: Socket, parts: Buffer[]): Promise<void> {
  let length = 0;
  for (const p of parts) length += p.length;
  let header: Buffer;
  try {
    header = directTcpHeader(length);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    socket.cork();
    try {
      socket.write(header);
      for (let i = 0; i < parts.length - 1; i++) socket.write(parts[i]);
      socket.write(parts[parts.length - 1] ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    } finally {
      socket.uncork();
    }
  });
}

/** How a framer hands over frames that span several chunks, and whether it may keep views of chunks. */
export interface FramerOptions {
  /**
   * Frames of at least this many bytes that arrive in several chunks are handed over in pieces
   * (MessagePieces), never joined; smaller ones are joined. Default: every frame is joined.
   */
  piecesFrom?: number;
  /**
   * The chunks are transient (the socket reads every chunk into one shared buffer): what the
   * framer keeps it copies, small frames exactly, frames of piecesFrom bytes or more into blocks
   * of this pool, given back when the message is released (receive-pool.ts).
   */
  pool?: ReceivePool;
}

/**
 * Reassembles direct-TCP frames from arbitrary stream chunks. Without a pool, frames that arrive
 * whole are views of their chunk and others are gathered from views of the chunks; with one,
 * bytes are copied out of the chunk before push() returns. Memory follows the bytes received
 * (into pool blocks: rounded up to one block), never the length a peer announces.
 */
export class DirectTcpFramer {
  private header = Buffer.alloc(DIRECT_TCP_HEADER_SIZE);
  private headerHave = 0;
  /** Length of the frame being gathered, or -1 between frames. */
  private want = -1;
  private have = 0;
  /** What is kept of the frame being gathered, in order. */
  private pieces: Buffer[] = [];
  /** Pool blocks holding the frame's bytes (pool mode, large frames); the last one is being filled. */
  private blocks: Buffer[] = [];
  private blockUsed = 0;
  private readonly piecesFrom: number;
  private readonly pool?: ReceivePool;

  constructor(
    private maxMessageBytes: number,
    options: FramerOptions = {},
  ) {
    this.piecesFrom = options.piecesFrom ?? Infinity;
    this.pool = options.pool;
  }

  /** Frames announced larger than this are refused from now on. */
  setMaxMessageBytes(bytes: number): void {
    this.maxMessageBytes = bytes;
  }

  /** Bytes held for an incomplete frame (its header included). */
  get buffered(): number {
    return this.headerHave + this.have;
  }

  /** True while a frame has started and not completed. */
  get partial(): boolean {
    return this.headerHave > 0 || this.want >= 0;
  }

  /** Feed one chunk; returns the whole messages it completes. Throws DecodeError on a bad frame. */
  push(chunk: Buffer): ReceivedMessage[] {
    const out: ReceivedMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.want < 0) {
        if (this.headerHave === 0 && chunk.length - at >= DIRECT_TCP_HEADER_SIZE) {
          const length = this.checkLength(chunk.readUInt32BE(at));
          at += DIRECT_TCP_HEADER_SIZE;
          if (chunk.length - at >= length && (!this.pool || length < this.piecesFrom)) {
            const frame = chunk.subarray(at, at + length);
            out.push(this.pool ? Buffer.from(frame) : frame);
            at += length;
            continue;
          }
          this.want = length;
          if (length === 0) out.push(this.takeBody());
          continue;
        }
        const n = Math.min(DIRECT_TCP_HEADER_SIZE - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + n);
        this.headerHave += n;
        at += n;
        if (this.headerHave === DIRECT_TCP_HEADER_SIZE) {
          this.headerHave = 0;
          this.want = this.checkLength(this.header.readUInt32BE(0));
          if (this.want === 0) out.push(this.takeBody());
        }
        continue;
      }
      const n = Math.min(this.want - this.have, chunk.length - at);
      this.keep(chunk.subarray(at, at + n));
      this.have += n;
      at += n;
      if (this.have === this.want) out.push(this.takeBody());
    }
    return out;
  }

  /** The connection is gone: the blocks of a frame left incomplete go back to the pool. */
  discard(): void {
    for (const block of this.blocks) this.pool?.give(block);
    this.blocks = [];
    this.pieces = [];
  }

  private checkLength(word: number): number {
    if (word >>> 24 !== 0) throw new DecodeError('direct-TCP frame does not start with a zero byte');
    if (word > this.maxMessageBytes) throw new DecodeError(`direct-TCP frame of ${word} bytes exceeds ${this.maxMessageBytes}`);
    return word;
  }

  /** Keep part of the frame being gathered: a view (net hands out a fresh buffer per read), or with a pool a copy. */
  private keep(view: Buffer): void {
    const pool = this.pool;
    if (!pool) this.pieces.push(view);
    else if (this.want < this.piecesFrom) this.pieces.push(Buffer.from(view));
    else {
      for (let at = 0; at < view.length; ) {
        let block = this.blocks[this.blocks.length - 1];
        if (!block || this.blockUsed === block.length) {
          block = pool.take();
          this.blocks.push(block);
          this.blockUsed = 0;
        }
        const n = view.copy(block, this.blockUsed, at);
        this.blockUsed += n;
        at += n;
      }
    }
  }

  private takeBody(): ReceivedMessage {
    const { pieces, blocks, pool } = this;
    let body: ReceivedMessage;
    if (blocks.length > 0) {
      const views = blocks.map((block, k) => (k === blocks.length - 1 ? block.subarray(0, this.blockUsed) : block));
      body = new MessagePieces(views, () => blocks.forEach((block) => pool?.give(block)));
    } else if (pieces.length === 1) body = pieces[0];
    else if (this.want >= this.piecesFrom) body = new MessagePieces(pieces);
    else body = Buffer.concat(pieces, this.want);
    this.pieces = [];
    this.blocks = [];
    this.blockUsed = 0;
    this.have = 0;
    this.want = -1;
    return body;
  }
}
