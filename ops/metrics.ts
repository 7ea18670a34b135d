/**
 * Prometheus metrics for spliced on prom-client: the core's Telemetry plus what the
 * SMB Direct layer and the page cache report. Naming follows the Prometheus guide:
 * `spliced_` prefix, base units (`_bytes`, `_seconds`), `_total` on counters, and
 * label values only from the small fixed sets below.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { CacheCounters } from '../cache/counters.js';
import { COPY_REASONS } from '../cache/page-flags.js';
import type { DataPath, Telemetry, TransportKind } from '../server/telemetry.js';

/** [MS-SMB2] 2.2.1.2 command names; anything else is counted as OTHER. */
export const SMB2_COMMANDS = [
  'NEGOTIATE', 'SESSION_SETUP', 'LOGOFF', 'TREE_CONNECT', 'TREE_DISCONNECT', 'CREATE', 'CLOSE',
  'FLUSH', 'READ', 'WRITE', 'LOCK', 'IOCTL', 'CANCEL', 'ECHO', 'QUERY_DIRECTORY', 'CHANGE_NOTIFY',
  'QUERY_INFO', 'SET_INFO', 'OPLOCK_BREAK', 'OTHER',
] as const;
export const TRANSPORTS = ['tcp', 'rdma'] as const;
export const DATA_PATHS = ['zerocopy', 'copy'] as const;
export const PROTOCOL_ERROR_KINDS = ['framing', 'decode', 'signature', 'auth', 'credits', 'smbdirect', 'other'] as const;
export const PAGE_STATES = ['free', 'clean', 'dirty', 'writeback', 'spliced', 'bounce'] as const;
export { COPY_REASONS };

/** 5 µs doubling to ~2.6 s: SMB2 requests on a cached file take microseconds. */
export const REQUEST_DURATION_BUCKETS = exponentialBuckets(5e-6, 2, 20);
/** 4 KiB to 64 MiB, one bucket per power of two. */
export const IO_SIZE_BUCKETS = exponentialBuckets(4096, 2, 15);

/** Long enough to cover one scrape, short enough that the status page sees fresh numbers. */
const CACHE_SNAPSHOT_MS = 50;

/** NTSTATUS severity is the top two bits; 0b11 is an error ([MS-ERREF] 2.3). */
const isErrorStatus = (status: number): boolean => status >>> 30 === 3;

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
}

export class SplicedMetrics implements Telemetry {
  readonly registry: Registry;
  private cacheCounters?: () => CacheCounters;
  private readonly totals: ThroughputTotals = {
    readZeroCopyBytes: 0, readCopyBytes: 0, writeBytes: 0, rdmaWriteBytes: 0, rdmaReadBytes: 0, requests: 0,
  };
  private readonly cacheSeen = new Map<string, number>();
  private cacheSnapshot?: { at: number; counters: CacheCounters | undefined };

  private readonly requestDuration: Histogram<'command'>;
  private readonly requestFailures: Counter<'command'>;
  private readonly readBytesTotal: Counter<'transport' | 'path'>;
  private readonly writeBytesTotal: Counter<'transport'>;
  private readonly ioSize: Histogram<'op'>;
  private readonly rdmaBytes: Counter<'op'>;
  private readonly rdmaOps: Counter<'op'>;
  private readonly creditStalls: Counter;
  private readonly connections: Gauge<'transport'>;
  private readonly connectionsTotal: Counter<'transport'>;
  private readonly sessions: Gauge;
  private readonly openFiles: Gauge;
  private readonly protocolErrors: Counter<'kind'>;
  private readonly cacheReadErrors: Counter;

  constructor(options: SplicedMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.cacheCounters = options.cacheCounters;
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });

    this.requestDuration = new Histogram({
      name: 'spliced_request_duration_seconds', help: 'SMB2 request handling time by command, request decoded to response queued.',
      labelNames: ['command'], buckets: REQUEST_DURATION_BUCKETS, registers,
    });
    this.requestFailures = new Counter({
      name: 'spliced_request_failures_total', help: 'SMB2 requests answered with an error NTSTATUS, by command.',
      labelNames: ['command'], registers,
    });
    this.readBytesTotal = new Counter({
      name: 'spliced_read_bytes_total', help: 'File data sent to clients in READ responses, by transport and data path.',
      labelNames: ['transport', 'path'], registers,
    });
    this.writeBytesTotal = new Counter({
      name: 'spliced_write_bytes_total', help: 'File data received from clients in WRITE requests, by transport.',
      labelNames: ['transport'], registers,
    });
    this.ioSize = new Histogram({
      name: 'spliced_io_size_bytes', help: 'Size of each READ and WRITE.', labelNames: ['op'], buckets: IO_SIZE_BUCKETS, registers,
    });
    this.rdmaBytes = new Counter({
      name: 'spliced_rdma_bytes_total', help: 'Bytes moved by RDMA WRITE (server to client) and RDMA READ (client to server).',
      labelNames: ['op'], registers,
    });
    this.rdmaOps = new Counter({
      name: 'spliced_rdma_operations_total', help: 'RDMA WRITE and RDMA READ work requests posted.', labelNames: ['op'], registers,
    });
    this.creditStalls = new Counter({
      name: 'spliced_smbdirect_credit_stalls_total', help: 'Times an SMB Direct send waited for the peer to grant credits.', registers,
    });
    this.connections = new Gauge({
      name: 'spliced_connections', help: 'Open client connections by transport.', labelNames: ['transport'], registers,
    });
    this.connectionsTotal = new Counter({
      name: 'spliced_connections_total', help: 'Client connections accepted by transport.', labelNames: ['transport'], registers,
    });
    this.sessions = new Gauge({ name: 'spliced_sessions', help: 'Authenticated SMB2 sessions.', registers });
    this.openFiles = new Gauge({ name: 'spliced_open_files', help: 'Open file handles.', registers });
    this.protocolErrors = new Counter({
      name: 'spliced_protocol_errors_total', help: 'Malformed or refused PDUs by kind.', labelNames: ['kind'], registers,
    });
    this.cacheReadErrors = new Counter({
      name: 'spliced_cache_counter_errors_total', help: 'Scrapes where reading the page cache counters failed.', registers,
    });
    this.zeroInitialSeries();
    this.registerCacheMetrics(registers);
  }

  /** Series that exist from the first scrape, so rate() and the dashboard see zeros, not gaps. */
  private zeroInitialSeries(): void {
    for (const transport of TRANSPORTS) {
      for (const path of DATA_PATHS) this.readBytesTotal.inc({ transport, path }, 0);
      this.writeBytesTotal.inc({ transport }, 0);
      this.connections.set({ transport }, 0);
      this.connectionsTotal.inc({ transport }, 0);
    }
    for (const op of ['write', 'read'] as const) {
      this.rdmaBytes.inc({ op }, 0);
      this.rdmaOps.inc({ op }, 0);
    }
    for (const kind of PROTOCOL_ERROR_KINDS) this.protocolErrors.inc({ kind }, 0);
    this.requestDuration.zero({ command: 'READ' });
    this.requestFailures.inc({ command: 'READ' }, 0);
    this.ioSize.zero({ op: 'read' });
    this.ioSize.zero({ op: 'write' });
  }

  /** Cache numbers are cumulative in the cache; counters follow them by delta at scrape time. */
  private registerCacheMetrics(registers: Registry[]): void {
    const self = this;
    let first = true;
    const counter = (name: string, help: string, pick: (c: CacheCounters) => number): void => {
      // The registry collects in registration order: the first cache metric takes the scrape's snapshot.
      const fresh = first;
      first = false;
      new Counter({
        name, help, registers,
        collect() {
          const c = self.readCacheCounters(fresh);
          if (c) self.followCounter(this, name, {}, pick(c));
        },
      });
    };
    counter('spliced_cache_zerocopy_bytes_total', 'Bytes the cache handed out as page references.', (c) => c.zeroCopyBytes);
    counter('spliced_cache_cow_replacements_total', 'Spliced pages replaced by a copy before being modified.', (c) => c.cowReplacements);
    counter('spliced_cache_evictions_total', 'Pages evicted from the cache.', (c) => c.evictions);
    counter('spliced_cache_hits_total', 'Page lookups found in the cache.', (c) => c.hits);
    counter('spliced_cache_misses_total', 'Page lookups that read from disk.', (c) => c.misses);
    counter('spliced_cache_readahead_pages_total', 'Pages read ahead of the client.', (c) => c.readaheadPages);
    counter('spliced_cache_writeback_bytes_total', 'Dirty bytes written back to disk.', (c) => c.writebackBytes);
    counter('spliced_cache_write_through_bytes_total', 'Bytes written straight to disk under memory pressure.', (c) => c.writeThroughBytes);
    new Counter({
      name: 'spliced_copy_fallback_bytes_total', help: 'Read bytes served by copying instead of zero-copy, by reason.',
      labelNames: ['reason'], registers,
      collect() {
        const c = self.readCacheCounters();
        for (const reason of COPY_REASONS) {
          self.followCounter(this, 'spliced_copy_fallback_bytes_total', { reason }, c?.copiedBytesByReason[reason] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'spliced_cache_pages', help: 'Cache pages by state (each page counted once).', labelNames: ['state'], registers,
      collect() {
        const c = self.readCacheCounters();
        for (const state of PAGE_STATES) this.set({ state }, c?.pages[state] ?? 0);
      },
    });
    new Gauge({
      name: 'spliced_cache_max_pages', help: 'Cache capacity in pages.', registers,
      collect() {
        this.set(self.readCacheCounters()?.maxPages ?? 0);
      },
    });
  }

  private followCounter(counter: Counter<string>, name: string, labels: Record<string, string>, current: number): void {
    const key = `${name}${JSON.stringify(labels)}`;
    const delta = current - (this.cacheSeen.get(key) ?? 0);
    this.cacheSeen.set(key, current);
    counter.inc(labels, delta > 0 ? delta : 0);
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
    const label = oneOf(SMB2_COMMANDS, command.toUpperCase(), 'OTHER');
    this.requestDuration.observe({ command: label }, seconds);
    if (isErrorStatus(status)) this.requestFailures.inc({ command: label });
    this.totals.requests++;
  }

  readBytes(transport: TransportKind, path: DataPath, bytes: number): void {
    this.readBytesTotal.inc({ transport, path }, bytes);
    this.ioSize.observe({ op: 'read' }, bytes);
    if (path === 'zerocopy') this.totals.readZeroCopyBytes += bytes;
    else this.totals.readCopyBytes += bytes;
  }

  writeBytes(transport: TransportKind, bytes: number): void {
    this.writeBytesTotal.inc({ transport }, bytes);
    this.ioSize.observe({ op: 'write' }, bytes);
    this.totals.writeBytes += bytes;
  }

  connectionOpened(transport: TransportKind): void {
    this.connections.inc({ transport });
    this.connectionsTotal.inc({ transport });
  }

  connectionClosed(transport: TransportKind): void {
    this.connections.dec({ transport });
  }

  sessionOpened(): void {
    this.sessions.inc();
  }

  sessionClosed(): void {
    this.sessions.dec();
  }

  fileOpened(): void {
    this.openFiles.inc();
  }

  fileClosed(): void {
    this.openFiles.dec();
  }

  protocolError(kind: string): void {
    this.protocolErrors.inc({ kind: oneOf(PROTOCOL_ERROR_KINDS, kind, 'other') });
  }

  /** One RDMA WRITE posted (READ data pushed to the client), [MS-SMBD] 3.1.4.x. */
  rdmaWrite(bytes: number): void {
    this.rdmaBytes.inc({ op: 'write' }, bytes);
    this.rdmaOps.inc({ op: 'write' });
    this.totals.rdmaWriteBytes += bytes;
  }

  /** One RDMA READ posted (WRITE data pulled from the client). */
  rdmaRead(bytes: number): void {
    this.rdmaBytes.inc({ op: 'read' }, bytes);
    this.rdmaOps.inc({ op: 'read' });
    this.totals.rdmaReadBytes += bytes;
  }

  /** A send had to wait for credits from the peer. */
  creditStall(): void {
    this.creditStalls.inc();
  }

  /** Prometheus text exposition of everything in the registry. */
  async expose(): Promise<string> {
    return this.registry.metrics();
  }
}
