import type { ServerOptions } from './options.js';
import { noTelemetry, type Telemetry } from './telemetry.js';
import { silentLogger, type Logger } from './log.js';
import type { FileIoProvider } from './file-io.js';
import type { Transport, TransportListener } from './transport.js';
import { ServerCore } from './server-core.js';
import { Connection } from './connection.js';
import { TcpListener } from './tcp-transport.js';
import { DirectFileIoProvider } from './direct-file-io.js';
import type { HostFs } from './host-fs.js';

export interface SmbServerDeps {
  telemetry?: Telemetry;
  log?: Logger;
  fileIo?: FileIoProvider;
  /** The *at file system calls (the spliced_fs addon); required, there is no path-based fallback. */
  hostFs?: HostFs;
}

export interface ServerStatus {
  connections: Array<{ id: number; transport: 'tcp' | 'rdma'; dialect: string; sessions: number; openFiles: number }>;
  sessions: number;
  openFiles: number;
  shares: Array<{ name: string; path: string; readOnly: boolean }>;
}

/** How long close() lets in-flight requests finish before dropping connections. */
const SHUTDOWN_GRACE_MS = 5000;

/** The SMB2/3 server: listeners feed transports into connections that share one ServerCore. */
export class SmbServer {
  private readonly core: ServerCore;
  private readonly listeners: TransportListener[] = [];
  private nextConnectionId = 1;

  constructor(options: ServerOptions, deps: SmbServerDeps = {}) {
    if (!deps.hostFs) throw new Error('SmbServer needs deps.hostFs (the spliced_fs addon, native/fs.ts): it never opens share files by path name');
    this.core = new ServerCore(options, deps.telemetry ?? noTelemetry, deps.log ?? silentLogger, deps.fileIo ?? new DirectFileIoProvider(), deps.hostFs);
  }

  async listen(): Promise<{ tcpPort: number }> {
    const o = this.core.options;
    const tcp = new TcpListener(o.bindAddresses, o.tcpPort, () => this.core.options.limits.maxMessageBytes);
    const { port } = await tcp.listen((t) => this.accept(t));
    this.listeners.push(tcp);
    this.core.log.info({ port, shares: o.shares.map((s) => s.name) }, 'listening on direct TCP');
    return { tcpPort: port };
  }

  /** Serve a connection from any transport (SMB Direct hands its connections in here too). */
  accept(transport: Transport): Connection {
    const id = this.nextConnectionId++;
    const log = this.core.log.child({ conn: id, peer: transport.peer });
    const conn = new Connection(id, transport, this.core, log);
    this.core.connections.add(conn);
    this.core.telemetry.connectionOpened(transport.kind);
    log.debug('connection accepted');
    return conn;
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
    await listenersClosed;
    await this.core.fileIo.flushAll();
    await this.core.closeShareRoots();
  }
}
