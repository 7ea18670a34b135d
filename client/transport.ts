import net from 'node:net';
import { FramedSocket } from '../server/framed-socket.js';
import type { MessagePieces } from '../server/message-pieces.js';

/**
 * What the client needs from a transport: whole SMB2 messages in, gather lists out.
 * Direct TCP now; the SMB Direct client implements the same interface.
 */
export interface ClientTransport {
  /**
   * Largest SMB2 message this transport carries each way, when it is smaller than what SMB2
   * negotiates (SMB Direct: MaxFragmentedSize); READ and WRITE sizes stay within it.
   */
  readonly maxInlineBytes?: number;
  send(parts: Buffer[]): Promise<void>;
  onMessage(handler: (message: Buffer) => void): void;
  onClose(handler: (reason?: Error) => void): void;
  close(): void;
}

/** Direct TCP, [MS-SMB2] 2.1: the server's framed socket without its time limits. */
export class TcpClientTransport extends FramedSocket implements ClientTransport {
  private constructor(socket: net.Socket, maxMessageBytes: number) {
    super(socket, { maxMessageBytes, frameTimeoutMs: 0 });
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

  /**
   * Whole messages: this socket is built without FramerOptions.piecesFrom, so a frame in pieces is
   * joined here in any case (and, without a pool, no frame is handed over before its end).
   */
  override onMessage(handler: (message: Buffer) => void): void {
    super.onMessage((m) => handler(Buffer.isBuffer(m) ? m : (m as MessagePieces).join()));
  }

  /** Send raw bytes with no framing (tests of the server's framer). */
  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.disconnect();
  }
}
