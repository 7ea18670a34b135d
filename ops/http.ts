/**
 * The ops HTTP server on Fastify: /metrics for Prometheus, /healthz, /status (JSON)
 * and the status page at /. Tests drive it with app.inject().
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { CacheCounters } from '../cache/counters.js';
import type { ServerStatus } from '../server/smb-server.js';
import type { SplicedMetrics, ThroughputTotals } from './metrics.js';
import { STATUS_PAGE_HTML } from './status-page.js';
import type { SmbDirectStatus } from './smbdirect-start.js';

export type { ServerStatus };

export interface StatusDocument extends ServerStatus {
  /** Milliseconds since the epoch when the document was made; the page divides byte deltas by it. */
  time: number;
  uptimeSeconds: number;
  connectionsByTransport: Record<'tcp' | 'rdma', number>;
  throughput: ThroughputTotals;
  cache: CacheCounters | null;
  /** SMB Direct's state (listening port and devices), or null before serve decided it. */
  smbDirect: SmbDirectStatus | null;
}

export interface OpsRoutesOptions {
  metrics: SplicedMetrics;
  status: () => ServerStatus;
  smbDirect?: () => SmbDirectStatus | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    splicedMetrics: SplicedMetrics;
  }
}

const EMPTY_STATUS: ServerStatus = { connections: [], sessions: 0, openFiles: 0, shares: [] };
const startedAt = Date.now();

export function statusDocument(opts: OpsRoutesOptions): StatusDocument {
  const s = opts.status();
  const byTransport = { tcp: 0, rdma: 0 };
  for (const c of s.connections) byTransport[c.transport]++;
  return {
    ...s,
    time: Date.now(),
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    connectionsByTransport: byTransport,
    throughput: opts.metrics.throughput(),
    cache: opts.metrics.readCacheCounters() ?? null,
    smbDirect: opts.smbDirect?.() ?? null,
  };
}

/** Scrapes and page polls are frequent; keep them out of the info log. */
const QUIET = { logLevel: 'warn' } as const;

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, opts) => {
  app.get('/metrics', QUIET, async (_req, reply) => {
    reply.type(opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });
  app.get('/healthz', QUIET, async () => ({ status: 'ok' }));
  app.get('/status', QUIET, async (_req, reply) => {
    reply.header('cache-control', 'no-store');
    return statusDocument(opts);
  });
  app.get('/favicon.ico', QUIET, async (_req, reply) => reply.code(204).send());
  app.get('/', QUIET, async (_req, reply) => {
    reply.type('text/html; charset=utf-8');
    return STATUS_PAGE_HTML;
  });
};

export interface OpsAppOptions {
  metrics: SplicedMetrics;
  /** SmbServer.status bound to the running server; an empty status until it exists. */
  status?: () => ServerStatus;
  /** SMB Direct's state, once serve has tried to start it. */
  smbDirect?: () => SmbDirectStatus | undefined;
  /** The pino logger to use; none means no logging (tests). */
  logger?: FastifyBaseLogger;
}

export function buildOpsApp(opts: OpsAppOptions): FastifyInstance {
  const app = (opts.logger ? Fastify({ loggerInstance: opts.logger }) : Fastify({ logger: false })) as unknown as FastifyInstance;
  app.decorate('splicedMetrics', opts.metrics);
  app.register(opsRoutes, { metrics: opts.metrics, status: opts.status ?? (() => EMPTY_STATUS), smbDirect: opts.smbDirect });
  return app;
}
