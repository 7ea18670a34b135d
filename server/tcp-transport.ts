import net from 'node:net';
import type { Transport, TransportListener } from './transport.js';
import { DirectTcpFramer, writeDirectTcpFrame } from './direct-tcp-framer.js';

/** Direct TCP ([MS-SMB2] 2.1) over one socket. */
export class TcpTransport implements Transport {
  readonly kind = 'tcp' as const;
  readonly peer: string;
  private readonly framer: DirectTcpFramer;
  private messageHandler: (m: Buffer) => void = () => {};
  private closeHandlers: Array<(reason?: Error) => void> = [];
  private closed = false;
  private closeReason?: Error;

  constructor(
    private readonly socket: net.Socket,
    readonly maxMessageBytes: number,
  ) {
    this.peer = `tcp ${socket.remoteAddress}:${socket.remotePort}`;
    this.framer = new DirectTcpFramer(maxMessageBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => {
      this.closeReason ??= err;
    });
    socket.on('close', () => this.finish());
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
    for (const m of messages) {
      if (this.closed) return;
      this.messageHandler(m);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers) h(this.closeReason);
  }

  onMessage(handler: (message: Buffer) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (reason?: Error) => void): void {
    if (this.closed) handler(this.closeReason);
    else this.closeHandlers.push(handler);
  }

  /** One frame: the 4-byte header then every part, corked so the kernel sees one writev. */
  send(parts: Buffer[]): Promise<void> {
    if (this.closed || this.socket.destroyed) return Promise.reject(new Error('connection closed'));
    return writeDirectTcpFrame(this.socket, parts);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  disconnect(): void {
    this.socket.destroy();
  }
}

export class TcpListener implements TransportListener {
  readonly kind = 'tcp' as const;
  private readonly servers: net.Server[] = [];

  constructor(
    private readonly addresses: string[],
    private readonly port: number,
    private readonly maxMessageBytes: () => number,
  ) {}

  async listen(onConnection: (t: TcpTransport) => void): Promise<{ port: number }> {
    let port = this.port;
    for (const address of this.addresses.length ? this.addresses : ['0.0.0.0']) {
      const server = net.createServer((socket) => onConnection(new TcpTransport(socket, this.maxMessageBytes())));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      port = (server.address() as net.AddressInfo).port;
      this.servers.push(server);
    }
    return { port };
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }
}
