/**
 * `spliced serve`: config -> pino logger -> metrics -> SmbServer + the ops Fastify server,
 * SIGHUP reloads shares and users in place, SIGTERM/SIGINT shut down gracefully.
 */
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import type { AddressInfo } from 'node:net';
import { accessSync, constants as fsConstants } from 'node:fs';
import { defaultConfig, loadConfig, type SplicedConfig } from './config.js';
import { formatHostPort, type HostPort, type LogFormat, type LogLevel } from './config-values.js';
import { createLogger } from './logger.js';
import type { SmbServer } from '../server/smb-server.js';
import { assembleServer, type AssembledServer } from './assemble.js';
import { planSmbDirect, prepareSmbDirectMemory, startSmbDirect, type SmbDirectDeps, type SmbDirectStatus } from './smbdirect-start.js';
import { advertisedInterfaces } from './advertised-interfaces.js';
import type { RdmaDevice } from './rdma-devices.js';
import type { ServerOptions } from '../server/options.js';
import { buildOpsApp } from './http.js';
import { SplicedMetrics } from './metrics.js';
import { SplicedError } from './errors.js';
import { dropPrivileges, giveToAccount, lookupAccount, runningAsRoot } from './privileges.js';
import { DEMO_SEED_FILES } from './demo-share.js';

export interface ServeOptions {
  /** smb.conf-style file; none means the embedded default (demo share). */
  configPath?: string;
  /** Overrides `tcp port`. */
  port?: number;
  /** Overrides `metrics address`. */
  metrics?: HostPort;
  /** Overrides `log level`. */
  logLevel?: LogLevel;
  /** Overrides `log format`. */
  logFormat?: LogFormat;
  /** Where the one-line "how to connect" hint goes (default stdout). */
  announce?: (line: string) => void;
  /** Where log lines go instead of stderr (tests). */
  logDestination?: DestinationStream;
  /** The RDMA host and the SMB Direct module (tests inject fakes). */
  smbDirect?: SmbDirectDeps;
}

export interface RunningSpliced {
  tcpPort: number;
  metricsAddress: HostPort;
  logger: PinoLogger;
  smbDirect: SmbDirectStatus;
  reload(): boolean;
  close(): Promise<void>;
}

const SHUTDOWN_TIMEOUT_MS = 20_000;

function readConfig(opts: ServeOptions): SplicedConfig {
  const cfg = opts.configPath ? loadConfig(opts.configPath) : defaultConfig();
  if (opts.port !== undefined) cfg.options.tcpPort = opts.port;
  if (opts.metrics) cfg.metricsAddress = opts.metrics;
  if (opts.logLevel) cfg.logLevel = opts.logLevel;
  if (opts.logFormat) cfg.logFormat = opts.logFormat;
  return cfg;
}

/** The command a user can paste to try the first share. */
export function connectHint(cfg: SplicedConfig, tcpPort: number): string {
  const share = cfg.options.shares[0];
  if (!share) return `spliced is listening on port ${tcpPort} but has no shares`;
  const bind = cfg.options.bindAddresses[0] ?? '0.0.0.0';
  const host = bind === '0.0.0.0' || bind === '::' ? '127.0.0.1' : bind;
  const auth = share.guestOk ? '-N' : '-U USER';
  return `smbclient //${host}/${share.name} -p ${tcpPort} ${auth}`;
}

/** The interfaces FSCTL_QUERY_NETWORK_INTERFACE_INFO advertises: RDMA_CAPABLE only with these devices listening. */
function withAdvertisedInterfaces(options: ServerOptions, listening: RdmaDevice[] | undefined): ServerOptions {
  return { ...options, interfaces: advertisedInterfaces(options.interfaces, listening) };
}

function listeningDevices(s: SmbDirectStatus): RdmaDevice[] | undefined {
  return s.state === 'listening' ? s.devices : undefined;
}

/** Re-read the config file and apply shares and users in place; on any error keep what runs. */
function reloadConfig(opts: ServeOptions, current: SplicedConfig, smb: SmbServer, smbDirect: SmbDirectStatus, logger: PinoLogger): SplicedConfig | undefined {
  if (!opts.configPath) {
    logger.info('SIGHUP: running the embedded default, nothing to reload');
    return undefined;
  }
  try {
    const next = readConfig(opts);
    for (const w of next.warnings) logger.warn({ config: next.source }, w);
    if (next.options.tcpPort !== current.options.tcpPort) logger.warn('"tcp port" changed; a restart is needed to apply it');
    if (formatHostPort(next.metricsAddress) !== formatHostPort(current.metricsAddress)) {
      logger.warn('"metrics address" changed; a restart is needed to apply it');
    }
    if (next.logFormat !== current.logFormat) logger.warn('"log format" changed; a restart is needed to apply it');
    if (next.options.rdmaPort !== current.options.rdmaPort || next.rdma.auto !== current.rdma.auto || next.rdma.zeroCopy !== current.rdma.zeroCopy) {
      logger.warn('"rdma port" or "rdma zero copy" changed; a restart is needed to apply it');
    }
    next.options.tcpPort = current.options.tcpPort;
    smb.reload(withAdvertisedInterfaces(next.options, listeningDevices(smbDirect)));
    logger.level = next.logLevel;
    logger.info({ shares: next.options.shares.map((s) => s.name), users: next.options.users.list().length }, 'reload complete');
    return next;
  } catch (err) {
    const detail = err instanceof SplicedError ? { code: err.code } : { err };
    logger.error(detail, `reload failed, keeping the running configuration: ${(err as Error).message}`);
    return undefined;
  }
}

function willDropRoot(cfg: SplicedConfig): boolean {
  return runningAsRoot() && cfg.runAsUser !== 'root';
}

/**
 * Started as root: once every port is bound, become the `user` account (default nobody) for
 * good, so no share file is ever touched as root. The embedded demo share is handed to it first.
 */
function becomeUnprivileged(opts: ServeOptions, cfg: SplicedConfig, logger: PinoLogger): void {
  if (!willDropRoot(cfg)) return;
  const account = lookupAccount(cfg.runAsUser);
  if (!opts.configPath) for (const share of cfg.options.shares) giveToAccount(share.path, [...DEMO_SEED_FILES], account);
  dropPrivileges(account);
  logger.info({ user: account.name, uid: account.uid, gid: account.gid }, 'dropped root privileges');
  for (const share of cfg.options.shares) {
    const mode = fsConstants.R_OK | fsConstants.X_OK | (share.readOnly ? 0 : fsConstants.W_OK);
    try {
      accessSync(share.path, mode);
    } catch {
      logger.warn({ share: share.name, path: share.path, user: account.name }, `share "${share.name}": ${share.path} is not ${share.readOnly ? 'readable' : 'writable'} by user ${account.name}`);
    }
  }
}

export async function startSpliced(opts: ServeOptions): Promise<RunningSpliced> {
  let cfg = readConfig(opts);
  const logger = createLogger({ level: cfg.logLevel, format: cfg.logFormat, destination: opts.logDestination });
  for (const w of cfg.warnings) logger.warn({ config: cfg.source }, w);
  const metrics = new SplicedMetrics();
  const plan = await planSmbDirect(cfg, opts.smbDirect, willDropRoot(cfg));
  // Advertised as if SMB Direct will listen; corrected below if the listener then fails.
  const planned = plan.go ? plan.devices : undefined;
  const server = assembleServer(withAdvertisedInterfaces(cfg.options, planned), metrics, logger.child({ component: 'smb' }));
  let smbDirectStatus: SmbDirectStatus | undefined;
  const app = buildOpsApp({ metrics, status: () => server.smb.status(), smbDirect: () => smbDirectStatus, logger });
  const { tcpPort } = await server.smb.listen();
  // Memlock before the drop (limits survive it); the RDMA devices only after it (see smbdirect-start.ts).
  const memlock = prepareSmbDirectMemory(plan, cfg, logger, willDropRoot(cfg), opts.smbDirect);
  try {
    await app.listen({ host: cfg.metricsAddress.host, port: cfg.metricsAddress.port });
  } catch (err) {
    await server.close();
    throw err;
  }
  try {
    becomeUnprivileged(opts, cfg, logger);
  } catch (err) {
    await server.close();
    await app.close();
    throw err;
  }
  const smbDirect = await startSmbDirect(plan, cfg, server, metrics, logger, memlock);
  smbDirectStatus = smbDirect;
  if (planned && !listeningDevices(smbDirect)) server.smb.reload(withAdvertisedInterfaces(cfg.options, undefined));
  const bound = app.server.address() as AddressInfo;
  const metricsAddress = { host: cfg.metricsAddress.host, port: bound.port };
  const rdmaPort = smbDirect.state === 'listening' ? smbDirect.port : 0;
  logger.info({ tcpPort, rdmaPort, metrics: `http://${metricsAddress.host}:${bound.port}/`, config: cfg.source }, 'spliced started');
  (opts.announce ?? ((l: string) => process.stdout.write(`${l}\n`)))(
    `${connectHint(cfg, tcpPort)}    # status page: http://${metricsAddress.host}:${bound.port}/`,
  );

  const reload = (): boolean => {
    const next = reloadConfig(opts, cfg, server.smb, smbDirect, logger);
    if (next) cfg = next;
    return next !== undefined;
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // Stop accepting, drain, disconnect, close the listeners (SMB Direct releases its QPs,
      // CQs, MRs and PD), flush the cache; only then give the cache's slabs back.
      await server.close();
      server.cache?.destroy();
      await app.close();
    })());

  return { tcpPort, metricsAddress, logger, smbDirect, reload, close };
}

/** Run until a signal: HUP reloads, TERM/INT drain and exit 0 (1 if draining hangs or fails). */
export async function serveForever(opts: ServeOptions): Promise<void> {
  const running = await startSpliced(opts);
  const { logger } = running;
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading configuration');
    running.reload();
  });
  const shutdown = (signal: string): void => {
    logger.info({ signal }, 'shutting down: no new connections, draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s; exiting`);
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    running.close().then(
      () => {
        logger.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}
