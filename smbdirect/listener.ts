// The SMB Direct server side: an rdma_cm listener on the configured port and addresses that
// accepts RC connections, runs the negotiate exchange ([MS-SMBD] 3.1.5.6/3.1.5.7) and hands
// each connection to the SMB2 server as a Transport. ops/smbdirect-hook.ts loads this file.
import type { CmEventRecord, RdmaBinding } from '../native/binding.js';
import { loadRdmaBinding, listRdmaDevices } from '../native/index.js';
import { CmChannel, type RdmaCmId } from '../native/cm.js';
import { RcEndpoint } from '../native/rc-endpoint.js';
import type { SmbDirectListenerOptions } from '../ops/smbdirect-hook.js';
import type { Transport, TransportListener } from '../server/transport.js';
import type { Logger } from '../server/log.js';
import { DEFAULT_LIMITS as SERVER_LIMITS, connectionLimitHit } from '../server/options.js';
import { DEFAULT_LIMITS, type SmbdLimits } from './constants.js';
import { SmbdConnection } from './connection.js';
import { DeviceResources, type ConnectionPools } from './device.js';
import { serverNegotiate } from './negotiate.js';

/** Knobs beyond the hook's contract, for tests and benchmarks. */
export interface SmbDirectTuning {
  /** Overrides of the [MS-SMBD] defaults (maxReadWriteSize comes from maxIoSize). */
  limits?: Partial<SmbdLimits>;
  /** Cap on SGEs per work request (default: the device's, at most 32). */
  maxSendSge?: number;
  /** Connections the pools are sized for (default 64). */
  maxConnections?: number;
  /** Fraction of the bounce pool one connection may hold at once (default device.ts BOUNCE_SHARE). */
  bounceShare?: number;
  /** Longest wait for bounce units before the connection ends, ms (default device.ts BOUNCE_WAIT_MS). */
  bounceWaitMs?: number;
  /** A loaded binding (default: loadRdmaBinding()). */
  binding?: RdmaBinding;
}

export type SmbDirectServerOptions = SmbDirectListenerOptions & SmbDirectTuning;

export function createSmbDirectListener(options: SmbDirectServerOptions): TransportListener {
  return new SmbDirectListener(options);
}

/** The close reason of connection.ts's keep-alive deadline. */
const IDLE_TIMEOUT = /idle timeout/;

/** RDMA READs we keep in flight per connection at most (our initiator depth). */
const MAX_INITIATOR_DEPTH = 16;

export class SmbDirectListener implements TransportListener {
  readonly kind = 'rdma' as const;
  readonly limits: SmbdLimits;
  private binding: RdmaBinding | null = null;
  private channel: CmChannel | null = null;
  private readonly listening: RdmaCmId[] = [];
  private readonly devices = new Map<string, Promise<DeviceResources>>();
  private readonly connections = new Set<SmbdConnection>();
  /** Connect requests being set up or negotiating, and connections handed over, by peer address. */
  private readonly held = new Map<string, number>();
  private heldTotal = 0;
  private onConnection: (t: Transport) => void = () => {};
  private closing = false;

  constructor(private readonly o: SmbDirectServerOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...o.limits, maxReadWriteSize: o.maxIoSize };
  }

  /** Connections accepted and not closed yet. */
  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(onConnection: (t: Transport) => void): Promise<{ port: number }> {
    this.onConnection = onConnection;
    const binding = this.o.binding ?? loadOrThrow();
    this.binding = binding;
    const names = listRdmaDevices(binding);
    if (names.length === 0) throw new Error('SMB Direct: no RDMA device');
    // Every device is opened (and the cache registered on it) now, so ENOMEM shows at start-up.
    for (const name of names) await this.device(name);
    this.channel = new CmChannel(binding);
    const addresses = this.o.addresses.length ? this.o.addresses : ['0.0.0.0'];
    let port = this.o.port;
    for (const host of addresses) {
      const id = this.channel.createId();
      try {
        id.listen({ host, port });
      } catch (err) {
        id.close();
        throw new Error(`SMB Direct: cannot listen on ${host}:${port}: ${(err as Error).message}`);
      }
      port = id.localAddress?.port ?? port;
      id.on('connectRequest', (cid, event) => void this.accept(cid, event));
      this.listening.push(id);
    }
    this.o.log.debug({ port, addresses }, 'rdma_cm listener bound');
    return { port };
  }

  private device(name: string): Promise<DeviceResources> {
    let d = this.devices.get(name);
    if (!d) {
      d = DeviceResources.open(this.binding!, name, {
        limits: this.limits, maxConnections: this.o.maxConnections ?? 64, cache: this.o.cache, log: this.o.log,
        bounceShare: this.o.bounceShare, bounceWaitMs: this.o.bounceWaitMs,
      });
      this.devices.set(name, d);
      d.catch(() => this.devices.delete(name));
    }
    return d;
  }

  private async accept(id: RdmaCmId, event: CmEventRecord): Promise<void> {
    const address = id.remoteAddress?.host ?? '?';
    const refused = this.closing ? 'closing' : this.refusal(address);
    if (refused) {
      if (refused !== 'closing') {
        this.o.metrics.limitHit?.(refused);
        this.o.log.warn({ peer: address, limit: refused }, 'SMB Direct connect request refused by a limit');
      }
      id.reject();
      id.close();
      return;
    }
    this.hold(address, 1);
    let conn: SmbdConnection | null = null;
    try {
      const device = await this.device(id.deviceName ?? '');
      const attrs = device.context.queryDevice();
      const maxSendSge = Math.max(1, Math.min(attrs.maxSge, this.o.maxSendSge ?? 32));
      const initiatorDepth = Math.max(1, Math.min(event.responderResources ?? 1, attrs.maxQpInitRdAtom, MAX_INITIATOR_DEPTH));
      const responderResources = Math.max(1, Math.min(event.initiatorDepth ?? 1, attrs.maxQpRdAtom));
      const ep = new RcEndpoint(this.binding!, id, device.context, device.pd, {
        caps: { maxSendWr: 512, maxRecvWr: this.limits.receiveCreditMax + 2, maxSendSge, maxRecvSge: 1 },
        postFromThread: device.software,
      });
      const pools = connectionPools(device, this.o.log, () => conn);
      conn = new SmbdConnection({
        id, ep, pools, limits: this.limits, metrics: this.o.metrics, log: this.o.log, initiatorDepth, forceBounce: this.o.zeroCopy === false,
        maxReadSge: Math.max(1, Math.min(attrs.maxSgeRd, maxSendSge)),
        initialMaxMessageBytes: this.o.maxPreauthMessageBytes ?? SERVER_LIMITS.maxPreauthMessageBytes,
      });
      this.connections.add(conn);
      const c = conn;
      conn.onClose((reason) => {
        this.connections.delete(c);
        this.hold(address, -1);
        pools.bounce.close('SMB Direct connection closed');
        // A peer that stopped answering keep-alives is gone without a word (crash, lost link).
        if (reason && IDLE_TIMEOUT.test(reason.message)) this.o.log.warn({ peer: c.peer, reason: reason.message }, 'SMB Direct peer did not answer a keep-alive in time; disconnected');
      });
      conn.refillReceives();
      const negotiated = serverNegotiate(conn, this.limits);
      negotiated.catch(() => {});
      await withDeadline(id.accept({ responderResources, initiatorDepth }), this.limits.negotiateTimeoutMs, 'no ESTABLISHED after accept');
      await negotiated;
      this.onConnection(conn);
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message }, 'SMB Direct connection not established');
      if (conn) void conn.terminate((err as Error).message);
      else {
        this.hold(address, -1);
        try {
          id.reject();
        } catch {
          // the request is gone already
        }
        id.close();
      }
    }
  }

  /** The limit a new connect request from `address` would exceed, or null. */
  private refusal(address: string): string | null {
    const limits = this.o.connectionLimits;
    return limits ? connectionLimitHit(limits, this.heldTotal, this.held.get(address) ?? 0) : null;
  }

  private hold(address: string, delta: 1 | -1): void {
    this.heldTotal += delta;
    const n = (this.held.get(address) ?? 0) + delta;
    if (n > 0) this.held.set(address, n);
    else this.held.delete(address);
  }

  /** Stops listening, ends every connection (flushing its work), then releases the devices. */
  async close(): Promise<void> {
    this.closing = true;
    for (const id of this.listening.splice(0)) id.close();
    await Promise.all([...this.connections].map((c) => c.terminate('server shutting down')));
    for (const d of this.devices.values()) (await d.catch(() => null))?.close();
    this.devices.clear();
    this.channel?.close();
    this.channel = null;
  }
}

/**
 * One connection's pools. A READ/WRITE that waits too long for bounce units fails, and its
 * connection ends with a logged reason; the others keep their units. The pool being short is
 * load, not the peer breaking the protocol, so it is not counted as a protocol error.
 */
export function connectionPools(device: Pick<DeviceResources, 'connectionPools'>, log: Logger, conn: () => SmbdConnection | null): ConnectionPools {
  return device.connectionPools((err) => {
    const c = conn();
    log.warn({ peer: c?.peer, reason: err.message }, 'SMB Direct: no bounce buffers in time; disconnecting');
    void c?.terminate(`bounce buffers: ${err.message}`);
  });
}

function loadOrThrow(): RdmaBinding {
  const loaded = loadRdmaBinding({ requireDevice: true });
  if ('error' in loaded) throw new Error(`SMB Direct disabled: ${loaded.error}`);
  return loaded.binding;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
