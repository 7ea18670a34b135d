import net from 'node:net';
import { DirectTcpFramer, type FramerOptions } from './direct-tcp-framer.js';
import { FrameBatch } from './frame-batch.js';
import type { ReceivedMessage } from './message-pieces.js';

/** What a framed socket allows its peer. The object is kept: setMaxMessageBytes updates it. */
export interface FrameLimits {
  /** Largest frame accepted (before the client authenticates; raised with setMaxMessageBytes). */
  maxMessageBytes: number;
  /** A started frame must complete within this long, and a frame being sent must make progress; 0 = no limit. */
  frameTimeoutMs: number;
  /** Called when a limit closes the connection ('frame_timeout', 'send_timeout'). */
  limitHit?(limit: string): void;
}

/** Where a socket's reads go (sharedReadSocket). */
export interface ReadSink {
  /** Bytes read into the shared buffer: transient, copied out before the next read. */
  chunk(bytes: Buffer): void;
  /** Where the next read goes: memory of the sink's own (the bytes are then placed()), or null for the shared buffer. */
  target(): Buffer | null;
  /** `count` bytes were read into the memory target() last gave. */
  placed(count: number): void;
}

/** Where a socket's reads come from when they are not 'data' events (sharedReadSocket): set the sink they go to. */
export type ChunkSource = (sink: ReadSink) => void;

/** What a framed socket does with what it receives. */
export interface ReceiveOptions extends FramerOptions {
  /** The reads, into a transient buffer or in place (FramerOptions.pool copies them out); default: the socket's 'data' events. */
  chunks?: ChunkSource;
}

/** One read buffer for every socket read through sharedReadSocket: reads run one at a time on the event loop thread, and each chunk is copied out before the next. */
const sharedReadBuffer = Buffer.allocUnsafe(256 * 1024);

const NO_SINK: ReadSink = { chunk: () => {}, target: () => null, placed: () => {} };

/** The handle of an accepted socket, as far as sharedReadSocket needs it. */
interface AcceptedHandle {
  useUserBuffer?: unknown;
}

/**
 * Node reads every chunk of an ordinary socket into a fresh Buffer; at WRITE rates those Buffers
 * pile up as external memory faster than the young generation frees them, and the collector
 * answers with back-to-back mark-compacts. A socket built with `onread` reads into one buffer
 * instead, but net.Server takes no such option: the accepted socket (accepted paused,
 * `pauseOnConnect`) hands its handle to a new Socket built with one, and is destroyed without it
 * (that only ends the server's count of it). Null when this node's accepted sockets have no
 * such handle: the caller then uses (and resumes) the socket as it is.
 */
export function sharedReadSocket(accepted: net.Socket): { socket: net.Socket; chunks: ChunkSource } | null {
  const holder = accepted as unknown as { _handle?: AcceptedHandle | null };
  const handle = holder._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function') return null;
  holder._handle = null;
  accepted.destroy();
  let sink: ReadSink = NO_SINK;
  // Node asks `buffer` for the memory of the next read after each read, and hands each read's to `callback`.
  const onread = {
    buffer: () => sink.target() ?? sharedReadBuffer,
    callback: (bytes: number, buffer: Uint8Array) => {
      if (buffer === sharedReadBuffer) sink.chunk(Buffer.from(buffer.buffer, buffer.byteOffset, bytes));
      else sink.placed(bytes);
    },
  };
  const socket = new net.Socket({ handle, onread } as net.SocketConstructorOpts);
  return { socket, chunks: (s) => (sink = s) };
}

/**
 * Direct TCP ([MS-SMB2] 2.1) over one socket, for both ends: whole messages in, and each
 * gather list out as one frame; the frames of one event-loop turn go out in one socket write
 * (frame-batch.ts). The server's TcpTransport and the client's
 * TcpClientTransport are this class plus what their side needs.
 */
export class FramedSocket {
  private readonly framer: DirectTcpFramer;
  private messageHandler: (m: ReceivedMessage) => void = () => {};
  private readonly closeHandlers: Array<(reason?: Error) => void> = [];
  private closed = false;
  private closeReason?: Error;
  private frameTimer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private readonly out: FrameBatch;
  /** pause() came while a streamed WRITE's data was arriving: the socket pauses once it is in. */
  private pauseAfterFrame = false;

  /** `receive.piecesFrom`: large frames are handed to onMessage in pieces (MessagePieces), never joined. */
  constructor(
    protected readonly socket: net.Socket,
    private readonly limits: FrameLimits,
    receive: ReceiveOptions = {},
  ) {
    this.framer = new DirectTcpFramer(limits.maxMessageBytes, receive);
    this.out = new FrameBatch(socket, () => this.watchSend());
    socket.setNoDelay(true);
    if (receive.chunks) {
      receive.chunks({ chunk: (bytes) => this.onData(bytes), target: () => this.framer.readTarget(), placed: (count) => this.onPlaced(count) });
      socket.resume(); // flowing, so that the end of the stream is seen and the socket closes
    } else socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeReason ??= err;
    });
    socket.on('close', () => this.finish());
  }

  get maxMessageBytes(): number {
    return this.limits.maxMessageBytes;
  }

  setMaxMessageBytes(bytes: number): void {
    this.limits.maxMessageBytes = bytes;
    this.framer.setMaxMessageBytes(bytes);
  }

  bufferedBytes(): number {
    return this.framer.buffered;
  }

  onMessage(handler: (message: ReceivedMessage) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (reason?: Error) => void): void {
    if (this.closed) handler(this.closeReason);
    else this.closeHandlers.push(handler);
  }

  /**
   * One frame: the 4-byte header then every part; resolves once the kernel took it. Frames sent
   * in one event-loop turn share one socket write. A peer that takes none of what is queued for
   * frameTimeoutMs is disconnected (a slow reader that makes progress is not).
   */
  send(parts: Buffer[]): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error('connection closed'));
    return this.out.frame(parts);
  }

  /**
   * Stop reading. A WRITE already handed over while its data arrives (framer.streaming) is
   * waited on by its handler, which holds memory for it: the rest of its data is read first.
   */
  pause(): void {
    this.framer.setStreaming(false);
    if (this.framer.streaming) this.pauseAfterFrame = true;
    else this.socket.pause();
  }

  resume(): void {
    this.pauseAfterFrame = false;
    this.framer.setStreaming(true);
    this.socket.resume();
  }

  /** Close the connection; frames queued in this turn are written first, as they would have been without batching. */
  disconnect(): void {
    this.out.flush();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: ReceivedMessage[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      return this.badFrame(err);
    }
    this.afterRead(messages.length > 0);
    for (const m of messages) {
      if (this.closed) return;
      this.messageHandler(m);
    }
  }

  private onPlaced(count: number): void {
    try {
      this.framer.placed(count);
    } catch (err) {
      return this.badFrame(err);
    }
    this.afterRead(false);
  }

  /** What was received cannot be framed: the connection closes with that as its reason. */
  private badFrame(err: unknown): void {
    this.closeReason = err as Error;
    this.disconnect();
  }

  private afterRead(completed: boolean): void {
    this.watchFrame(completed);
    if (this.pauseAfterFrame && !this.framer.streaming) {
      this.pauseAfterFrame = false;
      this.socket.pause();
    }
  }

  /** Slow-sender limit: a frame that has started must complete within frameTimeoutMs. */
  private watchFrame(completed: boolean): void {
    if (completed || !this.framer.partial) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
      if (!this.framer.partial) return;
    }
    if (this.frameTimer || !this.limits.frameTimeoutMs) return;
    this.frameTimer = setTimeout(() => this.timedOut('frame_timeout', 'frame not completed in time'), this.limits.frameTimeoutMs).unref();
  }

  /**
   * Send-stall limit, armed when a flush leaves bytes queued: each period the kernel must have
   * taken more of them (progress is counted in bytes taken, so a peer that reads while more is
   * queued is not cut off); it stops once nothing is queued.
   */
  private watchSend(): void {
    const ms = this.limits.frameTimeoutMs;
    if (!ms || this.stallTimer) return;
    let taken = this.out.taken;
    const timer: NodeJS.Timeout = setTimeout(() => {
      if (this.socket.writableLength === 0 || this.closed) {
        this.stallTimer = undefined;
        return;
      }
      const now = this.out.taken;
      if (now > taken) {
        taken = now;
        timer.refresh();
        return;
      }
      this.stallTimer = undefined;
      this.timedOut('send_timeout', 'peer does not read its responses');
    }, ms).unref();
    this.stallTimer = timer;
  }

  private timedOut(limit: string, why: string): void {
    if (this.closed || this.socket.destroyed) return;
    this.limits.limitHit?.(limit);
    this.closeReason ??= new Error(why);
    this.disconnect();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.frameTimer);
    this.framer.discard();
    clearTimeout(this.stallTimer);
    for (const h of this.closeHandlers) h(this.closeReason);
  }
}
