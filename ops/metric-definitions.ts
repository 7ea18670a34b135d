/**
 * The core metrics of spliced and their closed label sets. Naming follows the Prometheus
 * guide: `spliced_` prefix, base units (`_bytes`, `_seconds`), `_total` on counters.
 */
import { Counter, Gauge, exponentialBuckets, type Registry } from 'prom-client';
import { COPY_REASONS } from '../cache/page-flags.js';
import { IndexedCounter, IndexedHistogram } from './indexed-metrics.js';

/** [MS-SMB2] 2.2.1.2 command names; anything else is counted as OTHER. */
export const SMB2_COMMANDS = [
  'NEGOTIATE', 'SESSION_SETUP', 'LOGOFF', 'TREE_CONNECT', 'TREE_DISCONNECT', 'CREATE', 'CLOSE',
  'FLUSH', 'READ', 'WRITE', 'LOCK', 'IOCTL', 'CANCEL', 'ECHO', 'QUERY_DIRECTORY', 'CHANGE_NOTIFY',
  'QUERY_INFO', 'SET_INFO', 'OPLOCK_BREAK', 'OTHER',
] as const;
export const TRANSPORTS = ['tcp', 'rdma'] as const;
export const DATA_PATHS = ['zerocopy', 'copy'] as const;
export const IO_OPS = ['read', 'write'] as const;
/** Where WRITE data landed: placed by the transport straight into cache pages, or copied there (or to disk). */
export const WRITE_PLACEMENTS = ['cache_page', 'copied'] as const;
/** Why READ bytes were copied: the cache's reasons, plus 'direct' (no cache) and 'pipe' (named pipes). */
export const READ_COPY_REASONS = [...COPY_REASONS, 'direct', 'pipe', 'other'] as const;
export const PROTOCOL_ERROR_KINDS = ['framing', 'decode', 'signature', 'auth', 'credits', 'smbdirect', 'other'] as const;
export const PAGE_STATES = ['free', 'clean', 'dirty', 'writeback', 'spliced', 'bounce'] as const;
/** Limits that refuse, close or delay something (server/options.ts ServerLimits), as Telemetry.limitHit names them. */
export const LIMITS = [
  'connections', 'connections_per_address', 'idle_timeout', 'frame_timeout', 'send_timeout',
  'read_bytes_connection', 'read_bytes_server', 'request_bytes_connection', 'compound_size', 'other',
] as const;

/** 5 µs doubling to ~2.6 s: SMB2 requests on a cached file take microseconds. */
export const REQUEST_DURATION_BUCKETS = exponentialBuckets(5e-6, 2, 20);
/** 4 KiB to 64 MiB, one bucket per power of two. */
export const IO_SIZE_BUCKETS = exponentialBuckets(4096, 2, 15);

export function defineCoreMetrics(registry: Registry) {
  const registers = [registry];
  return {
    // Counted on every request or I/O: indexed series (indexed-metrics.ts).
    requestDuration: new IndexedHistogram({
      name: 'spliced_request_duration_seconds', help: 'SMB2 request handling time by command, request decoded to response queued.',
      labels: [['command', SMB2_COMMANDS]], buckets: REQUEST_DURATION_BUCKETS, registers,
    }),
    requestFailures: new IndexedCounter({
      name: 'spliced_request_failures_total', help: 'SMB2 requests answered with an error NTSTATUS, by command.',
      labels: [['command', SMB2_COMMANDS]], registers,
    }),
    readBytes: new IndexedCounter({
      name: 'spliced_read_bytes_total', help: 'File data sent to clients in READ responses, by transport and data path.',
      labels: [['transport', TRANSPORTS], ['path', DATA_PATHS]], registers,
    }),
    readCopiedBytes: new IndexedCounter({
      name: 'spliced_read_copied_bytes_total',
      help: 'The copied part of spliced_read_bytes_total{path="copy"}, by transport and reason, counted when sent.',
      labels: [['transport', TRANSPORTS], ['reason', READ_COPY_REASONS]], registers,
    }),
    writeBytes: new IndexedCounter({
      name: 'spliced_write_bytes_total', help: 'File data received from clients in WRITE requests, by transport.',
      labels: [['transport', TRANSPORTS]], registers,
    }),
    writePlacedBytes: new IndexedCounter({
      name: 'spliced_write_placed_bytes_total',
      help: 'The bytes of spliced_write_bytes_total by where they landed: placed by the transport straight into cache pages (SMB Direct RDMA READ, or the TCP socket read), or copied.',
      labels: [['transport', TRANSPORTS], ['placement', WRITE_PLACEMENTS]], registers,
    }),
    ioSize: new IndexedHistogram({
      name: 'spliced_io_size_bytes', help: 'Size of each READ and WRITE.', labels: [['op', IO_OPS]], buckets: IO_SIZE_BUCKETS, registers,
    }),
    rdmaBytes: new Counter({
      name: 'spliced_rdma_bytes_total', help: 'Bytes moved by RDMA WRITE (op="write", to the client) and RDMA READ (op="read", from it).',
      labelNames: ['op'] as const, registers,
    }),
    rdmaOps: new Counter({
      name: 'spliced_rdma_operations_total', help: 'RDMA WRITE and RDMA READ work requests posted.', labelNames: ['op'] as const, registers,
    }),
    creditStalls: new Counter({
      name: 'spliced_smbdirect_credit_stalls_total', help: 'Times an SMB Direct send waited for the peer to grant credits.', registers,
    }),
    connections: new Gauge({
      name: 'spliced_connections', help: 'Open client connections by transport.', labelNames: ['transport'] as const, registers,
    }),
    connectionsTotal: new Counter({
      name: 'spliced_connections_total', help: 'Client connections accepted by transport.', labelNames: ['transport'] as const, registers,
    }),
    sessions: new Gauge({ name: 'spliced_sessions', help: 'Authenticated SMB2 sessions.', registers }),
    openFiles: new Gauge({ name: 'spliced_open_files', help: 'Open file handles.', registers }),
    protocolErrors: new Counter({
      name: 'spliced_protocol_errors_total', help: 'Malformed or refused PDUs by kind.', labelNames: ['kind'] as const, registers,
    }),
    limitHits: new Counter({
      name: 'spliced_limit_hits_total',
      help: 'Times a configured limit refused a connection, closed one, failed a compound element or made a READ wait, by limit.',
      labelNames: ['limit'] as const, registers,
    }),
  };
}

export type CoreMetrics = ReturnType<typeof defineCoreMetrics>;

/** Series that exist from the first scrape, so rate() and the dashboard see zeros, not gaps. */
export function zeroInitialSeries(m: CoreMetrics): void {
  TRANSPORTS.forEach((transport, t) => {
    DATA_PATHS.forEach((_, path) => m.readBytes.zero(m.readBytes.series(t, path)));
    READ_COPY_REASONS.forEach((_, reason) => m.readCopiedBytes.zero(m.readCopiedBytes.series(t, reason)));
    m.writeBytes.zero(t);
    WRITE_PLACEMENTS.forEach((_, placement) => m.writePlacedBytes.zero(m.writePlacedBytes.series(t, placement)));
    m.connections.set({ transport }, 0);
    m.connectionsTotal.inc({ transport }, 0);
  });
  IO_OPS.forEach((op, index) => {
    m.rdmaBytes.inc({ op }, 0);
    m.rdmaOps.inc({ op }, 0);
    m.ioSize.zero(index);
  });
  for (const kind of PROTOCOL_ERROR_KINDS) m.protocolErrors.inc({ kind }, 0);
  for (const limit of LIMITS) m.limitHits.inc({ limit }, 0);
  m.requestDuration.zero(SMB2_COMMANDS.indexOf('READ'));
  m.requestFailures.zero(SMB2_COMMANDS.indexOf('READ'));
}
