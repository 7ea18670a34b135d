import net from 'node:net';
import { DirectTcpFramer, writeDirectTcpFrame } from '../server/direct-tcp-framer.js';

/**
 * What the client needs from a transport: whole SMB2 messages in, gather lists out.
 * Direct TCP now; the SMB Direct client implements the same interface.
 */
export interface ClientTransport {
  send(parts: Buffer[]): Promise<void>;
  onMessage(handler: (message: Buffer) => void): void;
  onClose(handler: (reason?: Error) => void): void;
  close(): void;
}

/** Direct TCP, [MS-SMB2] 2.1. */
export class TcpClientTransport implements ClientTransport {
  private readonly framer: DirectTcpFramer;
  private messageHandler: (m: Buffer) => void = () => {};
  private closeHandlers: Array<(reason?: Error) => void> = [];
  private closed = false;
  private reason?: Error;

  private constructor(
    private readonly socket: net.Socket,
    maxMessageBytes: number,
  ) {
    this.framer = new DirectTcpFramer(maxMessageBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      let messages: Buffer[];
      try {
        messages = this.framer.push(chunk);
      } catch (err) {
        this.reason = err as Error;
        socket.destroy();
        return;
      }
      for (const m of messages) this.messageHandler(m);
    });
    socket.on('error', (err) => (this.reason ??= err));
    socket.on('close', () => {
      this.closed = true;
      for (const h of this.closeHandlers.splice(0)) h(this.reason);
    });
  }

  static connect(host: string, port: number, maxMessageBytes = 16 * 1024 * 1024): Promise<TcpClientTransport> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new TcpClientTransport(socket, maxMessageBytes));
      });
    });
  }

  send(parts: Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return writeDirectTcpFrame(this.socket, parts);
  }

  /** Send raw bytes with no framing (tests of the server's framer). */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  onMessage(handler: (message: Buffer) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (reason?: Error) => void): void {
    if (this.closed) handler(this.reason);
    else this.closeHandlers.push(handler);
  }

  close(): void {
    this.socket.destroy();
  }
}
