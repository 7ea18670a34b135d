/**
 * Starting SMB Direct beside TCP in `serve`. It is optional: without the addon, without an
 * RDMA device or without the smbdirect module, serve says so in one log line and keeps
 * serving TCP. `rdma port` unset (auto) listens on 5445 only when the host has a device;
 * a port set explicitly makes the missing piece a warning. RLIMIT_MEMLOCK is raised while serve
 * may still be root (limits survive the drop), so that registering cache slabs as `user` fits.
 * The listener itself starts only after the drop: the kernel's rdma_cm and uverbs files refuse
 * every command from a process whose credentials changed after it opened them ("changed
 * security contexts after opening file descriptor"), so devices must be opened as `user`.
 */
import type { Logger as PinoLogger } from 'pino';
import type { SplicedConfig } from './config.js';
import type { AssembledServer } from './assemble.js';
import type { SplicedMetrics } from './metrics.js';
import { loadSmbDirectListener, type SmbDirectListenerFactory, type SmbDirectListenerOptions } from './smbdirect-hook.js';
import { probeRdma, type RdmaDevice, type RdmaProbe } from './rdma-devices.js';
import { closeAfterDrain } from './listener-shutdown.js';
import { CAP_NET_BIND_SERVICE, hasCapability, hasIpcLockCapability, memlockAdvice, memlockTarget, raiseMemlock, type MemlockLimit } from './memlock.js';
import { loadFsBinding } from '../native/fs.js';
import type { TransportListener } from '../server/transport.js';

/** What the status page shows about SMB Direct. */
export interface SmbDirectStatus {
  /** off: `rdma port = 0`; unavailable: wanted but a piece is missing (reason says which); listening. */
  state: 'off' | 'unavailable' | 'listening';
  /** The bound port when listening, else the configured one (0 when off). */
  port: number;
  devices: RdmaDevice[];
  zeroCopy: boolean;
  reason?: string;
}

/** What serve needs from the host; tests inject fakes. */
export interface SmbDirectDeps {
  probe?: () => RdmaProbe;
  loadFactory?: () => Promise<SmbDirectListenerFactory | string>;
  /** RLIMIT_MEMLOCK; none when the fs addon lacks getrlimit (an old build). */
  memlock?: MemlockLimit | null;
  /** Whether the process keeps CAP_IPC_LOCK while serving (then no limit applies). */
  keepsIpcLock?: boolean;
  /** Whether it may bind ports below 1024 (rdma_cm asks for CAP_NET_BIND_SERVICE as TCP does). */
  canBindLowPorts?: boolean;
}

/** rdma_cm refuses ports below this without CAP_NET_BIND_SERVICE (the kernel's PROT_SOCK). */
const FIRST_UNPRIVILEGED_PORT = 1024;

/** Longer than SmbServer's drain grace (5 s), shorter than serve's shutdown bound (20 s). */
const LISTENER_DRAIN_MS = 10_000;

function defaultMemlock(): MemlockLimit | null {
  const fs = loadFsBinding();
  if ('error' in fs || typeof fs.binding.getrlimit !== 'function') return null;
  const { binding } = fs;
  const resource = binding.constants.RLIMIT_MEMLOCK;
  return { get: () => binding.getrlimit(resource), set: (soft, hard) => binding.setrlimit(resource, soft, hard) };
}

/** The listener's error as one line; ENOMEM from registration gets the memlock advice if it lacks it. */
export function startFailureLine(err: unknown, limit: number | undefined, target: number): string {
  const message = String((err as Error)?.message ?? err).split('\n')[0];
  const code = (err as NodeJS.ErrnoException)?.code;
  const aboutMemlock = /memlock|ulimit -l/i.test(message);
  // With no limit (CAP_IPC_LOCK or unlimited) an ENOMEM is a real shortage, not the limit.
  if ((code === 'ENOMEM' || /ENOMEM|Cannot allocate memory/.test(message)) && !aboutMemlock && limit !== Infinity) {
    return `SMB Direct did not start: ${message}; ${memlockAdvice(limit, target)}; serving TCP only`;
  }
  return `SMB Direct did not start: ${message}; serving TCP only`;
}

/** Raise RLIMIT_MEMLOCK for what SMB Direct will register; a line of advice when it stays short. */
function prepareMemlock(cfg: SplicedConfig, deps: SmbDirectDeps, willDropRoot: boolean, logger: PinoLogger): number | undefined {
  const limit = deps.memlock === undefined ? defaultMemlock() : deps.memlock;
  if (!limit) return undefined;
  const keepsIpcLock = deps.keepsIpcLock ?? (!willDropRoot && hasIpcLockCapability());
  if (keepsIpcLock) return Infinity;
  const target = memlockTarget(cfg.options.cacheBytes);
  try {
    const outcome = raiseMemlock(limit, target);
    if (!outcome.ok) logger.warn({ memlock: outcome.limit, needed: target }, outcome.line);
    else if (outcome.raised) logger.debug({ memlock: outcome.limit }, 'raised RLIMIT_MEMLOCK for SMB Direct');
    return outcome.limit;
  } catch (err) {
    logger.warn(`cannot read or raise RLIMIT_MEMLOCK: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Phase one, before the server exists: is SMB Direct wanted, is there a device, is the module
 * there? It logs nothing (serve may still fail to start); phase two says why it is off.
 */
export type SmbDirectPlan =
  | { go: false; status: SmbDirectStatus; say?: { warn: boolean; line: string } }
  | { go: true; port: number; zeroCopy: boolean; devices: RdmaDevice[]; factory: SmbDirectListenerFactory };

export async function planSmbDirect(cfg: SplicedConfig, deps: SmbDirectDeps = {}, willDropRoot = false): Promise<SmbDirectPlan> {
  const port = cfg.options.rdmaPort;
  const zeroCopy = cfg.rdma.zeroCopy;
  if (port === 0) return { go: false, status: { state: 'off', port: 0, devices: [], zeroCopy, reason: 'rdma port = 0' } };
  const unavailable = (reason: string): SmbDirectPlan => {
    const line = /^SMB Direct/.test(reason) ? reason : `SMB Direct off: ${reason}`;
    const text = /serving TCP only$/.test(line) ? line : `${line}; serving TCP only`;
    return { go: false, status: { state: 'unavailable', port, devices: [], zeroCopy, reason }, say: { warn: !cfg.rdma.auto, line: text } };
  };
  const probe = (deps.probe ?? probeRdma)();
  if ('error' in probe) return unavailable(probe.error);
  if (port < FIRST_UNPRIVILEGED_PORT && willDropRoot) {
    return unavailable(`rdma port ${port} cannot be bound after dropping root to \`user\` (RDMA devices are opened after the drop); use 5445, or run as a dedicated user with AmbientCapabilities=CAP_NET_BIND_SERVICE (packaging/spliced.service)`);
  }
  if (port < FIRST_UNPRIVILEGED_PORT && !(deps.canBindLowPorts ?? hasCapability(CAP_NET_BIND_SERVICE))) {
    return unavailable(`rdma port ${port} needs CAP_NET_BIND_SERVICE (start spliced as root, or give it AmbientCapabilities=CAP_NET_BIND_SERVICE), or use 5445`);
  }
  const factory = await (deps.loadFactory ?? loadSmbDirectListener)();
  if (typeof factory === 'string') return unavailable(factory);
  return { go: true, port, zeroCopy, devices: probe.devices, factory };
}

/** Phase two, while serve may still be root: raise RLIMIT_MEMLOCK for the listener to come. Returns the limit. */
export function prepareSmbDirectMemory(plan: SmbDirectPlan, cfg: SplicedConfig, logger: PinoLogger, willDropRoot: boolean, deps: SmbDirectDeps = {}): number | undefined {
  return plan.go ? prepareMemlock(cfg, deps, willDropRoot, logger) : undefined;
}

/**
 * The listener's options from the config: the port and zero copy as planned, MaxReadWriteSize
 * from `smbd max io size`, the pre-auth limit from `max preauth frame size`, and the
 * [MS-SMBD] tunables from the `smb direct *` keys.
 */
export function smbDirectListenerOptions(
  plan: { port: number; zeroCopy: boolean },
  cfg: SplicedConfig,
  runtime: Pick<SmbDirectListenerOptions, 'cache' | 'metrics' | 'log'>,
): SmbDirectListenerOptions {
  return {
    port: plan.port,
    addresses: cfg.options.bindAddresses,
    maxIoSize: cfg.options.maxIoSize,
    maxPreauthMessageBytes: cfg.options.limits.maxPreauthMessageBytes,
    limits: { ...cfg.rdma.limits },
    connectionLimits: { maxConnections: cfg.options.limits.maxConnections, maxConnectionsPerAddress: cfg.options.limits.maxConnectionsPerAddress },
    zeroCopy: plan.zeroCopy,
    ...runtime,
  };
}

/** Phase three, once the server exists and serve runs as `user`: the listener, or one line why not. */
export async function startSmbDirect(
  plan: SmbDirectPlan, cfg: SplicedConfig, server: AssembledServer, metrics: SplicedMetrics, logger: PinoLogger, limit: number | undefined,
): Promise<SmbDirectStatus> {
  if (!plan.go) {
    if (plan.say?.warn) logger.warn({ rdmaPort: plan.status.port }, plan.say.line);
    else if (plan.say) logger.info({ rdmaPort: plan.status.port }, plan.say.line);
    return plan.status;
  }
  const { port, zeroCopy, devices } = plan;
  const target = memlockTarget(cfg.options.cacheBytes);
  let listener: TransportListener | undefined;
  try {
    listener = plan.factory(smbDirectListenerOptions(plan, cfg, { cache: server.cache, metrics, log: logger.child({ component: 'smbdirect' }) }));
    const live = (): number => server.smb.status().connections.filter((c) => c.transport === 'rdma').length;
    const bound = await server.smb.addListener(closeAfterDrain(listener, { live, maxWaitMs: LISTENER_DRAIN_MS }));
    logger.info({ rdmaPort: bound.port, devices: devices.map((d) => `${d.name}(${d.netdevs.join(',') || '-'})`), zeroCopy }, 'listening on SMB Direct');
    return { state: 'listening', port: bound.port, devices, zeroCopy };
  } catch (err) {
    // A listener that was built but could not listen gives back what it opened (device, PD, MRs).
    await listener?.close().catch(() => undefined);
    const line = startFailureLine(err, limit, target);
    logger.warn({ rdmaPort: port }, line);
    return { state: 'unavailable', port, devices: [], zeroCopy, reason: line };
  }
}
