/**
 * Prometheus metrics for spliced on prom-client: the core's Telemetry plus what the
 * SMB Direct layer and the page cache report. Naming follows the Prometheus guide:
 * `spliced_` prefix, base units (`_bytes`, `_seconds`), `_total` on counters, and
 * label values only from the small fixed sets in metric-definitions.ts.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheCounters } from '../cache/counters.js';
import { COPY_REASONS } from '../cache/page-flags.js';
import type { DataPath, Telemetry, TransportKind } from '../server/telemetry.js';
import type { ServerAccounting } from '../server/smb-server.js';
import { defineCacheMetrics } from './cache-metrics.js';
import {
  DATA_PATHS, IO_OPS, LIMITS, PROTOCOL_ERROR_KINDS, SMB2_COMMANDS, TRANSPORTS, WRITE_PLACEMENTS, defineCoreMetrics, zeroInitialSeries, type CoreMetrics,
} from './metric-definitions.js';

export {
  DATA_PATHS, IO_OPS, IO_SIZE_BUCKETS, LIMITS, PAGE_STATES, PROTOCOL_ERROR_KINDS, READ_COPY_REASONS, REQUEST_DURATION_BUCKETS, SMB2_COMMANDS, TRANSPORTS, WRITE_PLACEMENTS,
} from './metric-definitions.js';
export { COPY_REASONS };

const NOTHING_HELD: ServerAccounting = { connections: 0, receiveBufferBytes: 0, requestBytes: 0, readPayloads: 0, readBytes: 0 };

/** Long enough to cover one scrape, short enough that the status page sees fresh numbers. */
const CACHE_SNAPSHOT_MS = 50;

/** NTSTATUS severity is the top two bits; 0b11 is an error ([MS-ERREF] 2.3). */
const isErrorStatus = (status: number): boolean => status >>> 30 === 3;

const transportIndex = (transport: TransportKind): number => TRANSPORTS.indexOf(transport);
const [IO_READ, IO_WRITE] = [IO_OPS.indexOf('read'), IO_OPS.indexOf('write')];
const [PATH_ZEROCOPY, PATH_COPY] = [DATA_PATHS.indexOf('zerocopy'), DATA_PATHS.indexOf('copy')];
const [PLACED_IN_PAGE, PLACED_BY_COPY] = [WRITE_PLACEMENTS.indexOf('cache_page'), WRITE_PLACEMENTS.indexOf('copied')];

function oneOf<T extends string>(set: readonly T[], value: string, fallback: T): T {
  return (set as readonly string[]).includes(value) ? (value as T) : fallback;
}

export interface SplicedMetricsOptions {
  /** Defaults to a fresh Registry, so tests can create many instances. */
  registry?: Registry;
  /** Register prom-client's process_* and nodejs_* metrics (default true). */
  defaultMetrics?: boolean;
  /** Read at scrape time for the cache gauges and counters. */
  cacheCounters?: () => CacheCounters;
}

/** Running totals the status page turns into rates. */
export interface ThroughputTotals {
  readZeroCopyBytes: number;
  readCopyBytes: number;
  writeBytes: number;
  rdmaWriteBytes: number;
  rdmaReadBytes: number;
  requests: number;
  failedRequests: number;
  rdmaWriteOps: number;
  rdmaReadOps: number;
  creditStalls: number;
  protocolErrors: number;
  /** READ data sent over SMB Direct, straight from cache pages and copied (bounce buffers). */
  rdmaZeroCopyBytes: number;
  rdmaCopyBytes: number;
  /** SMB Direct terminations for a protocol violation ([MS-SMBD] 3.1.5). */
  smbdirectErrors: number;
}

export class SplicedMetrics implements Telemetry {
  readonly registry: Registry;
  private cacheCounters?: () => CacheCounters;
  private serverAccounting?: () => ServerAccounting;
  private readonly totals: ThroughputTotals = {
    readZeroCopyBytes: 0, readCopyBytes: 0, writeBytes: 0, rdmaWriteBytes: 0, rdmaReadBytes: 0, requests: 0,
    failedRequests: 0, rdmaWriteOps: 0, rdmaReadOps: 0, creditStalls: 0, protocolErrors: 0,
    rdmaZeroCopyBytes: 0, rdmaCopyBytes: 0, smbdirectErrors: 0,
  };
  private cacheSnapshot?: { at: number; counters: CacheCounters | undefined };
  private readonly m: CoreMetrics;
  /** Command name (as the core reports it) to its series in the per-command metrics. */
  private readonly commandSeries = new Map<string, number>(SMB2_COMMANDS.map((name, index) => [name, index]));
  private readonly cacheReadErrors: Counter;

  constructor(options: SplicedMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.cacheCounters = options.cacheCounters;
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.m = defineCoreMetrics(this.registry);
    zeroInitialSeries(this.m);
    this.cacheReadErrors = new Counter({
      name: 'spliced_cache_counter_errors_total', help: 'Scrapes where reading the page cache counters failed.', registers: [this.registry],
    });
    defineCacheMetrics(this.registry, (fresh) => this.readCacheCounters(fresh));
    this.defineAccountingGauges();
  }

  /** Attach the server whose held resources (READ payloads, receive buffers) the gauges report. */
  setServerAccounting(fn: (() => ServerAccounting) | undefined): void {
    this.serverAccounting = fn;
  }

  private defineAccountingGauges(): void {
    const registers = [this.registry];
    const read = (): ServerAccounting => this.serverAccounting?.() ?? NOTHING_HELD;
    const gauge = (name: string, help: string, pick: (a: ServerAccounting) => number): void => {
      new Gauge({ name, help, registers, collect() {
        this.set(pick(read()));
      } });
    };
    gauge('spliced_read_payloads', 'READ payloads handed out and not yet released (pinned cache pages or copies); 0 when idle.', (a) => a.readPayloads);
    gauge('spliced_read_outstanding_bytes', 'READ bytes admitted and not yet released, against max read bytes; 0 when idle.', (a) => a.readBytes);
    gauge('spliced_receive_buffer_bytes', 'Bytes received for frames that are not complete yet, over all connections.', (a) => a.receiveBufferBytes);
    gauge('spliced_request_buffer_bytes', 'Bytes of received requests being processed (WRITE data included), over all connections.', (a) => a.requestBytes);
  }

  /** Attach the page cache after construction (the cache may be created later than the metrics). */
  setCacheCounters(fn: (() => CacheCounters) | undefined): void {
    this.cacheCounters = fn;
    this.cacheSnapshot = undefined;
  }

  /**
   * One snapshot serves all the cache metrics of a scrape (they are collected back to back).
   * A failing cache must not fail the scrape: its metrics then read as absent and it is counted.
   */
  readCacheCounters(fresh = false): CacheCounters | undefined {
    const now = Date.now();
    if (!fresh && this.cacheSnapshot && now - this.cacheSnapshot.at < CACHE_SNAPSHOT_MS) return this.cacheSnapshot.counters;
    let counters: CacheCounters | undefined;
    try {
      counters = this.cacheCounters?.();
    } catch {
      this.cacheReadErrors.inc();
    }
    this.cacheSnapshot = { at: now, counters };
    return counters;
  }

  throughput(): ThroughputTotals {
    return { ...this.totals };
  }

  request(command: string, seconds: number, status: number): void {
    const series = this.commandSeries.get(command) ?? this.m.requestDuration.valueIndex(0, command.toUpperCase(), 'OTHER');
    this.m.requestDuration.observe(series, seconds);
    if (isErrorStatus(status)) {
      this.m.requestFailures.inc(series);
      this.totals.failedRequests++;
    }
    this.totals.requests++;
  }

  readBytes(transport: TransportKind, path: DataPath, bytes: number, copied?: Readonly<Record<string, number>>): void {
    this.m.ioSize.observe(IO_READ, bytes);
    if (!copied) return this.countReadPath(transport, path, bytes);
    let copiedBytes = 0;
    const { readCopiedBytes } = this.m;
    const t = transportIndex(transport);
    for (const reason in copied) {
      const n = copied[reason];
      readCopiedBytes.inc(readCopiedBytes.series(t, readCopiedBytes.valueIndex(1, reason, 'other')), n);
      copiedBytes += n;
    }
    this.countReadPath(transport, 'copy', copiedBytes);
    this.countReadPath(transport, 'zerocopy', bytes - copiedBytes);
  }

  private countReadPath(transport: TransportKind, path: DataPath, bytes: number): void {
    if (bytes <= 0) return;
    const zeroCopy = path === 'zerocopy';
    this.m.readBytes.inc(this.m.readBytes.series(transportIndex(transport), zeroCopy ? PATH_ZEROCOPY : PATH_COPY), bytes);
    if (zeroCopy) this.totals.readZeroCopyBytes += bytes;
    else this.totals.readCopyBytes += bytes;
    if (transport === 'rdma' && zeroCopy) this.totals.rdmaZeroCopyBytes += bytes;
    else if (transport === 'rdma') this.totals.rdmaCopyBytes += bytes;
  }

  writeBytes(transport: TransportKind, bytes: number, placedBytes = 0): void {
    const t = transportIndex(transport);
    const { writePlacedBytes } = this.m;
    this.m.writeBytes.inc(t, bytes);
    const placed = Math.min(Math.max(0, placedBytes), bytes);
    if (placed > 0) writePlacedBytes.inc(writePlacedBytes.series(t, PLACED_IN_PAGE), placed);
    if (bytes > placed) writePlacedBytes.inc(writePlacedBytes.series(t, PLACED_BY_COPY), bytes - placed);
    this.m.ioSize.observe(IO_WRITE, bytes);
    this.totals.writeBytes += bytes;
  }

  connectionOpened(transport: TransportKind): void {
    this.m.connections.inc({ transport });
    this.m.connectionsTotal.inc({ transport });
  }

  connectionClosed(transport: TransportKind): void {
    this.m.connections.dec({ transport });
  }

  sessionOpened(): void {
    this.m.sessions.inc();
  }

  sessionClosed(): void {
    this.m.sessions.dec();
  }

  fileOpened(): void {
    this.m.openFiles.inc();
  }

  fileClosed(): void {
    this.m.openFiles.dec();
  }

  protocolError(kind: string): void {
    const label = oneOf(PROTOCOL_ERROR_KINDS, kind, 'other');
    this.m.protocolErrors.inc({ kind: label });
    this.totals.protocolErrors++;
    if (label === 'smbdirect') this.totals.smbdirectErrors++;
  }

  limitHit(limit: string): void {
    this.m.limitHits.inc({ limit: oneOf(LIMITS, limit, 'other') });
  }

  /** One RDMA WRITE posted (READ data pushed to the client), [MS-SMBD] 3.1.4.x. */
  rdmaWrite(bytes: number): void {
    this.m.rdmaBytes.inc({ op: 'write' }, bytes);
    this.m.rdmaOps.inc({ op: 'write' });
    this.totals.rdmaWriteBytes += bytes;
    this.totals.rdmaWriteOps++;
  }

  /** One RDMA READ posted (WRITE data pulled from the client). */
  rdmaRead(bytes: number): void {
    this.m.rdmaBytes.inc({ op: 'read' }, bytes);
    this.m.rdmaOps.inc({ op: 'read' });
    this.totals.rdmaReadBytes += bytes;
    this.totals.rdmaReadOps++;
  }

  /** A send had to wait for credits from the peer. */
  creditStall(): void {
    this.m.creditStalls.inc();
    this.totals.creditStalls++;
  }

  /** Prometheus text exposition of everything in the registry. */
  async expose(): Promise<string> {
    return this.registry.metrics();
  }
}
