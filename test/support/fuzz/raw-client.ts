/**
 * A raw direct-TCP client for the fuzzer: it sends frames exactly as given and waits for
 * whole response frames, the connection closing, or a time bound. No protocol logic here.
 */
import net from 'node:net';

export type Reply = { kind: 'frame'; message: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

export class RawClient {
  private readonly queue: Buffer[] = [];
  private waiter: ((r: Reply) => void) | null = null;
  private chunks: Buffer[] = [];
  private have = 0;
  /** Bytes of the frame being received (header included), -1 before its header. */
  private need = -1;
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake({ kind: 'closed' });
    });
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket));
      });
    });
  }

  /** Send one SMB2 message with its direct-TCP header ([MS-SMB2] 2.1). */
  send(message: Buffer): void {
    if (this.closed) return;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(message.length & 0xffffff);
    this.socket.write(Buffer.concat([header, message]));
  }

  /** Send bytes as they are (hostile framing). */
  sendRaw(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** The next response frame, or 'closed', or 'timeout' after `ms`. */
  next(ms: number): Promise<Reply> {
    const ready = this.queue.shift();
    if (ready) return Promise.resolve({ kind: 'frame', message: ready });
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve({ kind: 'timeout' });
      }, ms);
      this.waiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
    });
  }

  /** Close and resolve once the socket is gone. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.destroy();
    });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.have += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.have < 4) return;
        this.gather();
        this.need = 4 + (this.chunks[0].readUInt32BE(0) & 0xffffff);
      }
      if (this.have < this.need) return;
      const all = this.gather();
      const message = all.subarray(4, this.need);
      const rest = all.subarray(this.need);
      this.chunks = rest.length ? [rest] : [];
      this.have = rest.length;
      this.need = -1;
      if (this.waiter) this.wake({ kind: 'frame', message });
      else this.queue.push(message);
    }
  }

  /** Join the buffered chunks once (large READ responses arrive in many pieces). */
  private gather(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.have)];
    return this.chunks[0];
  }

  private wake(r: Reply): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(r);
  }
}
