import type net from 'node:net';
import { DirectTcpFramer } from './direct-tcp-framer.js';
import { FrameBatch } from './frame-batch.js';

/** What a framed socket allows its peer. The object is kept: setMaxMessageBytes updates it. */
export interface FrameLimits {
  /** Largest frame accepted (before the client authenticates; raised with setMaxMessageBytes). */
  maxMessageBytes: number;
  /** A started frame must complete within this long, and a frame being sent must make progress; 0 = no limit. */
  frameTimeoutMs: number;
  /** Called when a limit closes the connection ('frame_timeout', 'send_timeout'). */
  limitHit?(limit: string): void;
}

/**
 * Direct TCP ([MS-SMB2] 2.1) over one socket, for both ends: whole messages in, and each
 * gather list out as one frame; the frames of one event-loop turn go out in one socket write
 * (frame-batch.ts). The server's TcpTransport and the client's
 * TcpClientTransport are this class plus what their side needs.
 */
export class FramedSocket {
  private readonly framer: DirectTcpFramer;
  private messageHandler: (m: Buffer) => void = () => {};
  private readonly closeHandlers: Array<(reason?: Error) => void> = [];
  private closed = false;
  private closeReason?: Error;
  private frameTimer?: NodeJS.Timeout;
  private stallTimer?: NodeJS.Timeout;
  private readonly out: FrameBatch;

  constructor(
    protected readonly socket: net.Socket,
    private readonly limits: FrameLimits,
  ) {
    this.framer = new DirectTcpFramer(limits.maxMessageBytes);
    this.out = new FrameBatch(socket, () => this.watchSend());
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
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

  onMessage(handler: (message: Buffer) => void): void {
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

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Close the connection; frames queued in this turn are written first, as they would have been without batching. */
  disconnect(): void {
    this.out.flush();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (err) {
      this.closeReason = err as Error;
      this.disconnect();
      return;
    }
    this.watchFrame(messages.length > 0);
    for (const m of messages) {
      if (this.closed) return;
      this.messageHandler(m);
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
    clearTimeout(this.stallTimer);
    for (const h of this.closeHandlers) h(this.closeReason);
  }
}
