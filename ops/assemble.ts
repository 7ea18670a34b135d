/**
 * Wiring of one spliced server: the page cache as the core's FileIo, SplicedMetrics as its
 * Telemetry (and reading the cache's counters at scrape time), the logger passed through.
 */
import { CacheFileIoProvider, PageCache } from '../cache/index.js';
import type { Logger } from '../server/log.js';
import type { ServerOptions } from '../server/options.js';
import { SmbServer } from '../server/smb-server.js';
import { DirectFileIoProvider } from '../server/direct-file-io.js';
import type { SplicedMetrics } from './metrics.js';
import { loadFsBinding } from '../native/fs.js';
import { ERROR_CODES, SplicedError } from './errors.js';

export interface AssembledServer {
  smb: SmbServer;
  /** Absent when `cache size = 0`: then every read is copied by plain positional file I/O. */
  cache?: PageCache;
  /** Stop accepting, drain, write dirty pages back, close cached descriptors. */
  close(): Promise<void>;
}

export function assembleServer(options: ServerOptions, metrics: SplicedMetrics, log?: Logger): AssembledServer {
  // Never a path-based fallback: without openat2 and friends the shares could be escaped.
  const fs = loadFsBinding();
  if ('error' in fs) throw new SplicedError(ERROR_CODES.NATIVE_FS, `cannot serve: ${fs.error}`);
  const cache = options.cacheBytes > 0 ? new PageCache({ maxBytes: options.cacheBytes, writeBehind: options.writeBehind ?? false }) : undefined;
  if (cache) metrics.setCacheCounters(() => cache.counters());
  const fileIo = cache ? new CacheFileIoProvider(cache) : new DirectFileIoProvider();
  const smb = new SmbServer(options, { telemetry: metrics, log, fileIo, hostFs: fs.binding });
  metrics.setServerAccounting(() => smb.accounting());
  let closing: Promise<void> | undefined;
  return {
    smb,
    cache,
    close: () =>
      (closing ??= (async () => {
        await smb.close();
        await cache?.shutdown();
      })()),
  };
}
