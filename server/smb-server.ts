import { connectionLimitHit, type ServerOptions } from './options.js';
import { noTelemetry, type Telemetry } from './telemetry.js';
import { silentLogger, type Logger } from './log.js';
import type { FileIoProvider } from './file-io.js';
import type { Transport, TransportListener } from './transport.js';
import { ServerCore } from './server-core.js';
import { Connection } from './connection.js';
import { closeDisconnectedDurableOpens } from './durable/disconnect.js';
import { TcpListener, receivePool } from './tcp-transport.js';
import type { BlockMemory } from './receive-pool.js';
import { DirectFileIoProvider } from './direct-file-io.js';
import type { HostFs } from './host-fs.js';
import type { CommandTable } from './dispatch.js';
import { handlers } from './handlers/index.js';

export interface SmbServerDeps {
  telemetry?: Telemetry;
  log?: Logger;
  fileIo?: FileIoProvider;
  /** The *at file system calls (the spliced_fs addon); required, there is no path-based fallback. */
  hostFs?: HostFs;
  /** The command table (default handlers/index.ts); tests substitute rows, e.g. a command that goes async. */
  commands?: CommandTable;
  /** Memory for TCP receive blocks (ops: the addon's mmap slabs, given back when idle); default Buffers. */
  receiveBlockMemory?: BlockMemory;
}

export interface ServerStatus {
  connections: Array<{ id: number; transport: 'tcp' | 'rdma'; dialect: string; sessions: number; openFiles: number }>;
  sessions: number;
  openFiles: number;
  shares: Array<{ name: string; path: string; readOnly: boolean }>;
}

/** What the server holds for its clients right now, for the limits' metrics and tests. */
export interface ServerAccounting {
  connections: number;
  /** Bytes received for frames that are not complete yet, over all connections. */
  receiveBufferBytes: number;
  /** Bytes of received requests being processed, over all connections. */
  requestBytes: number;
  /** READ payloads handed out and not yet released (pinned cache pages or copies). */
  readPayloads: number;
  /** READ bytes admitted and not yet released. */
  readBytes: number;
}

/** How long close() lets in-flight requests finish before dropping connections. */
const SHUTDOWN_GRACE_MS = 5000;

/** The SMB2/3 server: listeners feed transports into connections that share one ServerCore. */
export class SmbServer {
  private readonly core: ServerCore<Connection>;
  private readonly listeners: TransportListener[] = [];
  private nextConnectionId = 1;
  private readonly commands: CommandTable;
  private readonly receiveBlockMemory?: BlockMemory;

  constructor(options: ServerOptions, deps: SmbServerDeps = {}) {
    if (!deps.hostFs) throw new Error('SmbServer needs deps.hostFs (the spliced_fs addon, native/fs.ts): it never opens share files by path name');
    this.commands = deps.commands ?? handlers;
    this.receiveBlockMemory = deps.receiveBlockMemory;
    this.core = new ServerCore<Connection>(options, deps.telemetry ?? noTelemetry, deps.log ?? silentLogger, deps.fileIo ?? new DirectFileIoProvider(), deps.hostFs);
  }

  async listen(): Promise<{ tcpPort: number }> {
    const o = this.core.options;
    const tcp = new TcpListener(o.bindAddresses, o.tcpPort, () => ({
      maxMessageBytes: this.core.options.limits.maxPreauthMessageBytes,
      frameTimeoutMs: this.core.options.limits.frameTimeoutMs,
      limitHit: (limit) => this.core.telemetry.limitHit?.(limit),
    }), receivePool(this.receiveBlockMemory));
    const { port } = await tcp.listen((t) => this.accept(t));
    this.listeners.push(tcp);
    this.core.log.info({ port, shares: o.shares.map((s) => s.name) }, 'listening on direct TCP');
    return { tcpPort: port };
  }

  /**
   * Serve a connection from any transport (SMB Direct hands its connections in here too).
   * Beyond the connection limits it is closed at once and null returned.
   */
  accept(transport: Transport): Connection | null {
    const refused = this.refusal(transport);
    if (refused) {
      this.core.telemetry.limitHit?.(refused);
      this.core.log.warn({ peer: transport.peer, limit: refused }, 'connection refused by a limit');
      transport.disconnect();
      return null;
    }
    const id = this.nextConnectionId++;
    const log = this.core.log.child({ conn: id, peer: transport.peer });
    const conn = new Connection(id, transport, this.core, log, this.commands);
    this.core.connections.add(conn);
    this.core.telemetry.connectionOpened(transport.kind);
    log.debug('connection accepted');
    return conn;
  }

  private refusal(transport: Transport): string | null {
    const address = transport.remoteAddress;
    let same = 0;
    if (address !== undefined) for (const c of this.core.connections) if (c.transport.remoteAddress === address) same++;
    return connectionLimitHit(this.core.options.limits, this.core.connections.size, same);
  }

  accounting(): ServerAccounting {
    let receiveBufferBytes = 0;
    let requestBytes = 0;
    for (const c of this.core.connections) {
      receiveBufferBytes += c.transport.bufferedBytes?.() ?? 0;
      requestBytes += c.requestBytes;
    }
    const { reads } = this.core;
    return { connections: this.core.connections.size, receiveBufferBytes, requestBytes, readPayloads: reads.payloads, readBytes: reads.bytes };
  }

  /** Attach another listener (e.g. SMB Direct) whose connections this server serves. */
  async addListener(listener: TransportListener): Promise<{ port: number }> {
    const r = await listener.listen((t) => this.accept(t));
    this.listeners.push(listener);
    return r;
  }

  reload(options: ServerOptions): void {
    this.core.reload(options);
    this.core.log.info({ shares: options.shares.map((s) => s.name) }, 'configuration reloaded');
  }

  status(): ServerStatus {
    const connections = [...this.core.connections].map((c) => ({
      id: c.id,
      transport: c.transport.kind,
      dialect: c.dialectName,
      sessions: [...c.sessions.values()].filter((s) => s.state === 'valid').length,
      openFiles: c.opens.size,
    }));
    return {
      connections,
      sessions: connections.reduce((n, c) => n + c.sessions, 0),
      openFiles: connections.reduce((n, c) => n + c.openFiles, 0),
      shares: this.core.options.shares.map((s) => ({ name: s.name, path: s.path, readOnly: s.readOnly })),
    };
  }

  async close(): Promise<void> {
    const listenersClosed = Promise.all(this.listeners.splice(0).map((l) => l.close()));
    const conns = [...this.core.connections];
    const drained = Promise.all(conns.map((c) => c.idle()));
    await Promise.race([drained, new Promise((r) => setTimeout(r, SHUTDOWN_GRACE_MS).unref())]);
    for (const c of conns) {
      c.transport.disconnect();
      await c.closeAll();
    }
    await closeDisconnectedDurableOpens(this.core);
    await listenersClosed;
    await this.core.fileIo.flushAll();
    await this.core.closeShareRoots();
  }
}
