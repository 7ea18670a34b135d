/**
 * Wiring of one spliced server: the page cache as the core's FileIo, SplicedMetrics as its
 * Telemetry (and reading the cache's counters at scrape time), the logger passed through.
 */
import type { BlockMemory } from '../server/receive-pool.js';
import { BufferSlabAllocator, CacheFileIoProvider, NativeSlabAllocator, PageCache, type SlabAllocator } from '../cache/index.js';
import type { Logger } from '../server/log.js';
import type { ServerOptions } from '../server/options.js';
import { SmbServer } from '../server/smb-server.js';
import { DirectFileIoProvider } from '../server/direct-file-io.js';
import type { SplicedMetrics } from './metrics.js';
import { loadFsBinding, writeRunsStatted } from '../native/fs.js';
import { loadRdmaBinding } from '../native/index.js';
import { ERROR_CODES, SplicedError } from './errors.js';

export interface AssembledServer {
  smb: SmbServer;
  /** Absent when `cache size = 0`: then every read is copied by plain positional file I/O. */
  cache?: PageCache;
  /** Stop accepting, drain, write dirty pages back, close cached descriptors, give the slabs back (onSlab cleanups first). */
  close(): Promise<void>;
}

export interface AssembleDeps {
  /** Where the RDMA addon comes from (tests pass a failing loader); default native/index.ts. */
  loadRdma?: () => ReturnType<typeof loadRdmaBinding>;
}

/**
 * The cache's memory: native slabs from the RDMA addon whenever it loads (no device needed),
 * so SMB Direct can register each slab as one MR; plain Buffers otherwise (TCP needs nothing more).
 */
export function cacheSlabAllocator(loadRdma: AssembleDeps['loadRdma'] = loadRdmaBinding, log?: Logger): SlabAllocator {
  const rdma = loadRdma();
  if ('binding' in rdma) return new NativeSlabAllocator(rdma.binding);
  log?.debug({ reason: rdma.error }, 'page cache on plain Buffers: the RDMA addon did not load');
  return new BufferSlabAllocator();
}

/**
 * TCP receive blocks from the RDMA addon's mmap slabs whenever it loads, so the blocks a burst
 * of large WRITEs needed go back to the system once idle (freeSlab unmaps at once; a freed
 * Buffer would stay in the malloc heap). Plain Buffers otherwise.
 */
export function receiveBlockMemory(loadRdma: AssembleDeps['loadRdma'] = loadRdmaBinding): BlockMemory | undefined {
  const rdma = loadRdma();
  if (!('binding' in rdma)) return undefined;
  const { allocSlab, freeSlab } = rdma.binding;
  return { allocate: (bytes) => Buffer.from(allocSlab(bytes)), release: (block) => freeSlab(block.buffer as ArrayBuffer) };
}

/** Write back and close, then give the slabs back, unless a reader still holds pages (their memory must stay). */
async function releaseCache(cache: PageCache, log?: Logger): Promise<void> {
  await cache.shutdown();
  const { spliced, bounce } = cache.counters().pages;
  if (spliced + bounce === 0) cache.destroy();
  else log?.warn({ spliced, bounce }, 'cache pages still held at shutdown; slabs left to the process exit');
}

export function assembleServer(options: ServerOptions, metrics: SplicedMetrics, log?: Logger, deps: AssembleDeps = {}): AssembledServer {
  // Never a path-based fallback: without openat2 and friends the shares could be escaped.
  const fs = loadFsBinding();
  if ('error' in fs) throw new SplicedError(ERROR_CODES.NATIVE_FS, `cannot serve: ${fs.error}`);
  const cache =
    options.cacheBytes > 0
      ? new PageCache({
          maxBytes: options.cacheBytes,
          writeBehind: options.writeBehind ?? false,
          allocator: cacheSlabAllocator(deps.loadRdma, log),
          writeRunsStat: (fd, positions, runs) => writeRunsStatted(fs.binding, fd, positions, runs), // a batch of kernel writes and its coherence fstats in one thread-pool job
        })
      : undefined;
  if (cache) metrics.setCacheCounters(() => cache.counters());
  const fileIo = cache ? new CacheFileIoProvider(cache) : new DirectFileIoProvider();
  const smb = new SmbServer(options, { telemetry: metrics, log, fileIo, hostFs: fs.binding, receiveBlockMemory: receiveBlockMemory(deps.loadRdma) });
  metrics.setServerAccounting(() => smb.accounting());
  let closing: Promise<void> | undefined;
  return {
    smb,
    cache,
    close: () =>
      (closing ??= (async () => {
        await smb.close();
        if (cache) await releaseCache(cache, log);
      })()),
  };
}
