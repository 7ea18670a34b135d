import type { Socket } from 'node:net';
import { DecodeError } from '../wire/index.js';
import { MessagePieces, type ReceivedMessage } from './message-pieces.js';
import { IncomingWrite, isStreamableWrite, WRITE_HEAD_BYTES } from './incoming-write.js';
import { ReceiveBlocks, type PooledFrame, type ReceivePool } from './receive-pool.js';

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
   * framer keeps it copies, small frames exactly, frames of `pooledFrom` bytes or more packed
   * into blocks of this pool and handed over in pieces, the blocks held until the message is
   * released (receive-pool.ts).
   */
  pool?: ReceivePool;
  /** With a pool: the least frame size packed into its blocks. Default piecesFrom. */
  pooledFrom?: number;
  /**
   * With a pool: a lone unsigned WRITE frame of at least this many bytes is handed over as soon
   * as its header and fixed part are in, as an IncomingWrite its data is then steered into
   * (incoming-write.ts). Default: never.
   */
  streamFrom?: number;
}

/**
 * Reassembles direct-TCP frames from arbitrary stream chunks. Without a pool, frames that arrive
 * whole are views of their chunk and others are gathered from views of the chunks; with one,
 * bytes are copied out of the chunk before push() returns. Memory follows the bytes received
 * (into pool blocks: at most one block more), never the length a peer announces.
 */
export class DirectTcpFramer {
  private header = Buffer.alloc(DIRECT_TCP_HEADER_SIZE);
  private headerHave = 0;
  /** Length of the frame being gathered, or -1 between frames. */
  private want = -1;
  private have = 0;
  /** What is kept of the frame being gathered, in order (unless it goes into pool blocks). */
  private pieces: Buffer[] = [];
  /** The frame being gathered into pool blocks, if it is pooled. */
  private frame: PooledFrame | null = null;
  /** The first bytes of a frame that may be a WRITE to stream, until there are WRITE_HEAD_BYTES of them. */
  private head: Buffer | null = null;
  /** The WRITE being received, handed over before its data. */
  private incoming: IncomingWrite | null = null;
  private readonly piecesFrom: number;
  private readonly pooledFrom: number;
  private readonly streamFrom: number;
  /** New frames may be handed over before their data (setStreaming). */
  private streamNew = true;
  private readonly blocks?: ReceiveBlocks;

  constructor(
    private maxMessageBytes: number,
    options: FramerOptions = {},
  ) {
    this.piecesFrom = options.piecesFrom ?? Infinity;
    this.pooledFrom = options.pooledFrom ?? this.piecesFrom;
    this.streamFrom = options.pool ? (options.streamFrom ?? Infinity) : Infinity;
    this.blocks = options.pool ? new ReceiveBlocks(options.pool) : undefined;
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

  /** True while the data of a WRITE already handed over is still arriving: whoever handles it waits for the rest. */
  get streaming(): boolean {
    return this.incoming !== null;
  }

  /**
   * Whether frames that start from now on may be handed over before their data. A reader that
   * wants to pause turns it off: a WRITE handed over must get all its data before the socket
   * pauses, so a pause would otherwise wait for every such WRITE that starts in the same read.
   */
  setStreaming(allowed: boolean): void {
    this.streamNew = allowed;
  }

  /** Memory the next bytes may be read into in place (a streamed WRITE's target), or null: read into a transient buffer and push() it. */
  readTarget(): Buffer | null {
    return this.incoming?.readTarget() ?? null;
  }

  /** `count` bytes were read into the memory readTarget() gave (never past the frame's end). */
  placed(count: number): void {
    this.incoming!.placed(count);
    this.have += count;
    if (this.have === this.want) this.endFrame();
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
          if (chunk.length - at >= length && !this.pooled(length)) {
            const frame = chunk.subarray(at, at + length);
            out.push(this.blocks ? Buffer.from(frame) : frame);
            at += length;
            continue;
          }
          this.start(length);
          if (length === 0) out.push(this.takeBody());
          continue;
        }
        const n = Math.min(DIRECT_TCP_HEADER_SIZE - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + n);
        this.headerHave += n;
        at += n;
        if (this.headerHave === DIRECT_TCP_HEADER_SIZE) {
          this.headerHave = 0;
          this.start(this.checkLength(this.header.readUInt32BE(0)));
          if (this.want === 0) out.push(this.takeBody());
        }
        continue;
      }
      if (this.head) {
        const n = Math.min(WRITE_HEAD_BYTES - this.have, chunk.length - at);
        chunk.copy(this.head, this.have, at, at + n);
        this.have += n;
        at += n;
        if (this.have === WRITE_HEAD_BYTES) this.headIn(out);
        continue;
      }
      const n = Math.min(this.want - this.have, chunk.length - at);
      this.keep(chunk.subarray(at, at + n));
      this.have += n;
      at += n;
      if (this.have !== this.want) continue;
      if (this.incoming) this.endFrame();
      else out.push(this.takeBody());
    }
    return out;
  }

  /** The connection is gone: the blocks of a frame left incomplete go back to the pool. */
  discard(): void {
    if (this.frame) this.blocks?.abandon(this.frame);
    this.incoming?.abort(new Error('connection closed before the WRITE data arrived'));
    this.incoming = null;
    this.frame = null;
    this.head = null;
    this.pieces = [];
  }

  private checkLength(word: number): number {
    if (word >>> 24 !== 0) throw new DecodeError('direct-TCP frame does not start with a zero byte');
    if (word > this.maxMessageBytes) throw new DecodeError(`direct-TCP frame of ${word} bytes exceeds ${this.maxMessageBytes}`);
    return word;
  }

  private pooled(length: number): boolean {
    return this.blocks !== undefined && length >= this.pooledFrom;
  }

  private start(length: number): void {
    this.want = length;
    if (length >= this.streamFrom && this.streamNew) this.head = Buffer.allocUnsafe(WRITE_HEAD_BYTES);
    else if (this.pooled(length)) this.frame = this.blocks!.begin(length);
  }

  /** The first WRITE_HEAD_BYTES of a large frame are in: a WRITE to stream is handed over now, anything else is pooled as usual. */
  private headIn(out: ReceivedMessage[]): void {
    const head = this.head!;
    this.head = null;
    if (isStreamableWrite(head, this.want)) {
      this.incoming = new IncomingWrite(head, this.want - head.length, this.blocks!);
      out.push(this.incoming);
      return;
    }
    this.frame = this.blocks!.begin(this.want);
    this.blocks!.append(this.frame, head);
  }

  /** Keep part of the frame being gathered: a view (net hands out a fresh buffer per read), or with a pool a copy. */
  private keep(view: Buffer): void {
    if (this.incoming) this.incoming.accept(view);
    else if (this.frame) this.blocks!.append(this.frame, view);
    else this.pieces.push(this.blocks ? Buffer.from(view) : view);
  }

  /** A streamed WRITE's last byte is in (its handler was given it long ago). */
  private endFrame(): void {
    this.incoming = null;
    this.have = 0;
    this.want = -1;
  }

  private takeBody(): ReceivedMessage {
    const { pieces, frame, blocks } = this;
    let body: ReceivedMessage;
    if (frame && blocks) {
      const { views, release } = blocks.deliver(frame);
      body = new MessagePieces(views, release, blocks);
    } else if (pieces.length === 1) body = pieces[0];
    else if (this.want >= this.piecesFrom) body = new MessagePieces(pieces);
    else body = Buffer.concat(pieces, this.want);
    this.pieces = [];
    this.frame = null;
    this.have = 0;
    this.want = -1;
    return body;
  }
}
