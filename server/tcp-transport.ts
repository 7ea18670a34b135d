import net from 'node:net';
import type { Transport, TransportListener } from './transport.js';
import { DIRECT_TCP_MAX_MESSAGE } from './direct-tcp-framer.js';
import { FramedSocket, sharedReadSocket, type ChunkSource, type FrameLimits } from './framed-socket.js';
import { ReceivePool, type BlockMemory } from './receive-pool.js';

/** Frames from this size on that arrive in several reads reach the pipeline in pieces (a large WRITE's data is never joined). */
const PIECES_FROM = 64 * 1024;
/**
 * With shared reads, frames of POOLED_FROM bytes or more (every WRITE with data worth a page) are
 * packed into 64 KiB blocks shared by every connection; up to 32 MiB of free blocks are kept
 * (four 8 MiB WRITEs). Smaller frames (READ, CREATE, ... requests) are each copied into a Buffer
 * of their own, which Node carves from its own small-buffer pool.
 */
const POOLED_FROM = 2048;
/**
 * With shared reads, a lone unsigned WRITE frame from this size on reaches the pipeline once its
 * header and fixed part are in, and the socket reads its data straight into the pages it is
 * written to (incoming-write.ts).
 */
const STREAM_FROM = 64 * 1024;
/** Receive blocks: 64 KiB each; up to 32 MiB of free ones kept (four 8 MiB WRITEs), the idle ones given back (ReceivePool.trim). */
const RECEIVE_BLOCK_BYTES = 64 * 1024;
const KEEP_FREE_BLOCKS = 512;

/** The receive blocks of every TCP connection of one server. */
export function receivePool(memory?: BlockMemory): ReceivePool {
  return new ReceivePool(RECEIVE_BLOCK_BYTES, KEEP_FREE_BLOCKS, memory);
}

/** Direct TCP ([MS-SMB2] 2.1) over one accepted socket, with the server's limits. */
export class TcpTransport extends FramedSocket implements Transport {
  readonly kind = 'tcp' as const;
  readonly peer: string;
  readonly remoteAddress?: string;
  readonly maxSendBytes = DIRECT_TCP_MAX_MESSAGE;

  /** `chunks`: the socket reads into the shared buffer (sharedReadSocket), and what frames keep goes into `pool`'s blocks. */
  constructor(socket: net.Socket, limits: FrameLimits, pool: ReceivePool, chunks?: ChunkSource) {
    super(socket, limits, chunks ? { piecesFrom: PIECES_FROM, pool, pooledFrom: POOLED_FROM, streamFrom: STREAM_FROM, chunks } : { piecesFrom: PIECES_FROM });
    this.remoteAddress = socket.remoteAddress;
    this.peer = `tcp ${socket.remoteAddress}:${socket.remotePort}`;
  }
}

export class TcpListener implements TransportListener {
  readonly kind = 'tcp' as const;
  private readonly servers: net.Server[] = [];

  /** `limits` is asked once per accepted connection (what a connection is allowed, read when it is accepted). */
  constructor(
    private readonly addresses: string[],
    private readonly port: number,
    private readonly limits: () => FrameLimits,
    private readonly pool: ReceivePool = receivePool(),
  ) {}

  async listen(onConnection: (t: TcpTransport) => void): Promise<{ port: number }> {
    let port = this.port;
    for (const address of this.addresses.length ? this.addresses : ['0.0.0.0']) {
      const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
        const shared = sharedReadSocket(accepted);
        if (!shared) accepted.resume();
        onConnection(new TcpTransport(shared?.socket ?? accepted, this.limits(), this.pool, shared?.chunks));
      });
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
