import { randomBytes } from 'node:crypto';
import { withDefaultLimits, type ServerOptions, type ShareConfig } from './options.js';
import { ReadBudget } from './read-budget.js';
import type { Telemetry } from './telemetry.js';
import type { Logger } from './log.js';
import type { FileIoProvider } from './file-io.js';
import type { AuthExchange, ConnectionState, Open } from './state.js';
import { ShareRoot } from './share-root.js';
import type { HostFs } from './host-fs.js';
import { LockTable } from './lock-table.js';
import { ShareModeTable } from './share-modes.js';
import { OpenFileTable } from './open-file-table.js';
import { NotifyHub, notifyLimitsOf } from './notify/notify-hub.js';
import { OplockTable } from './oplocks/oplock-table.js';
import { DurableTable } from './durable/durable-table.js';
import { ServerAuthExchange } from '../auth/server-session-auth.js';
import { fileTimeFromMs } from '../smb2/info/index.js';

/** State shared by every connection of one server; handlers reach it as ctx.core. */
export class ServerCore<C extends ConnectionState = ConnectionState> {
  readonly serverGuid = randomBytes(16);
  readonly startTime = fileTimeFromMs(Date.now());
  readonly locks = new LockTable();
  readonly shareModes = new ShareModeTable();
  readonly openFiles = new OpenFileTable();
  /** Oplocks and leases of open files, and the breaks in progress (server/oplocks/). */
  readonly oplocks = new OplockTable(() => this.options.limits);
  /** Durable opens: v2 ones by CreateGuid, and those waiting for a reconnect (server/durable/). */
  readonly durable = new DurableTable(() => this.options.limits);
  readonly connections = new Set<C>();
  /** CHANGE_NOTIFY's directory watches (inotify through the HostFs). */
  readonly changeNotify = new NotifyHub(
    () => this.hostFs,
    () => notifyLimitsOf(this.options.limits),
    () => this.log,
  );
  /** READ data admitted over the whole server; each connection's budget is chained to it. */
  readonly reads = new ReadBudget(() => this.options.limits.maxReadBytes);
  private roots = new Map<string, ShareRoot>();
  private nextSessionId = BigInt(Date.now() % 0xffff) << 32n;
  private nextPersistentId = 1n;

  public options: ServerOptions;

  constructor(
    options: ServerOptions,
    readonly telemetry: Telemetry,
    readonly log: Logger,
    readonly fileIo: FileIoProvider,
    readonly hostFs: HostFs,
  ) {
    this.options = withDefaultLimits(options);
  }

  reload(options: ServerOptions): void {
    this.options = withDefaultLimits(options);
    this.reads.wake();
    for (const c of this.connections) c.credits.setMaxCredits(options.limits.maxCredits);
  }

  findShare(name: string): ShareConfig | undefined {
    const lower = name.toLowerCase();
    return this.options.shares.find((s) => s.name.toLowerCase() === lower);
  }

  shareRoot(share: ShareConfig): ShareRoot {
    let root = this.roots.get(share.path);
    if (!root) {
      root = new ShareRoot(share.path, this.hostFs);
      this.roots.set(share.path, root);
    }
    return root;
  }

  /** Close every share-root descriptor (server shutdown). */
  async closeShareRoots(): Promise<void> {
    const roots = [...this.roots.values()];
    this.roots.clear();
    await Promise.all(roots.map((r) => r.dispose()));
  }

  /** FileId.Persistent of a new open: unique over the server's life, so a durable reconnect names one open. */
  allocatePersistentId(): bigint {
    return this.nextPersistentId++;
  }

  allocateSessionId(): bigint {
    this.nextSessionId += 1n;
    return this.nextSessionId;
  }

  createAuthExchange(): AuthExchange {
    const o = this.options;
    return new ServerAuthExchange({
      users: o.users,
      serverName: o.serverName,
      domain: o.workgroup,
      mapUnknownUserToGuest: o.mapToGuest === 'bad user',
    });
  }

  /** Every open of every connection (rename bookkeeping, directory checks). */
  *allOpens(): Generator<Open> {
    for (const c of this.connections) yield* c.opens.values();
    yield* this.durable.disconnectedOpens();
  }

  connectionClosed(conn: C): void {
    this.connections.delete(conn);
    this.telemetry.connectionClosed(conn.transport.kind);
  }
}
