import { stat } from 'node:fs/promises';
import { PageArena, type Slab, type SlabListener } from './page-arena.js';
import { CachedFile, type Mapping, type MappingState } from './cached-file.js';
import type { CacheContext, CacheTuning } from './context.js';
import { newStats, type CacheCounters, type CacheStats } from './counters.js';
import type { Bvec, SpliceResult } from './bvec.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import type { SlabAllocator } from './slab-allocator.js';
import { releaseBvecs, spliceToBvecs } from './splice.js';
import { setFileSize, writeData } from './write-path.js';
import { mapRange, unmapRange } from './mapping.js';
import { identityOf, writeback } from './writeback.js';
import { closeAsync } from './fd-io.js';
import { pageStates } from './page-states.js';

const MiB = 1024 * 1024;

export interface PageCacheOptions {
  /** Most slab memory the cache may hold, bytes. Default 256 MiB. */
  maxBytes?: number;
  /** Bytes per slab (each slab is one RDMA memory region). Default 4 MiB, or maxBytes if smaller. */
  slabBytes?: number;
  /** Where slabs come from; default plain Buffers. */
  allocator?: SlabAllocator;
  /** Serve every read by copying (benchmarks, debugging). */
  forceCopy?: boolean;
  /** Largest sequential read-ahead window. Default 2 MiB. */
  readaheadMaxBytes?: number;
  /** First read-ahead window. Default 128 KiB. */
  readaheadMinBytes?: number;
  /** How long an allocation waits for a free page before falling back to copying / write-through. Default 20 ms. */
  pressureWaitMs?: number;
  /** Background writeback starts when this fraction of the pages is dirty. Default 0.5. */
  dirtyRatio?: number;
  /** Period of the background flusher; 0 disables it. Default 5000 ms. */
  writebackIntervalMs?: number;
  /** Awaited before each writeback I/O; lets tests hold pages under WRITEBACK. */
  beforeWritebackIo?: () => Promise<void> | void;
}

/** One open of a file through the cache. */
export interface CacheHandle {
  readonly file: CachedFile;
  readonly writable: boolean;
  closed: boolean;
}

/**
 * The spliced-page cache: per-file page indexes over a shared page arena, zero-copy
 * splicing of clean unmapped pages, copy-on-write stable pages, and writeback.
 */
export class PageCache {
  private readonly arena: PageArena;
  private readonly stats: CacheStats = newStats();
  private readonly ctx: CacheContext;
  private readonly files = new Map<string, CachedFile>();
  private readonly byPath = new Map<string, CachedFile>();
  private readonly timer: NodeJS.Timeout | null;

  constructor(options: PageCacheOptions = {}) {
    const maxBytes = options.maxBytes ?? 256 * MiB;
    const slabBytes = options.slabBytes ?? Math.max(PAGE_SIZE, Math.min(4 * MiB, Math.floor(maxBytes / PAGE_SIZE) * PAGE_SIZE));
    this.arena = new PageArena({ maxBytes, slabBytes, allocator: options.allocator });
    const tuning: CacheTuning = {
      forceCopy: options.forceCopy ?? false,
      readaheadMaxBytes: options.readaheadMaxBytes ?? 2 * MiB,
      readaheadMinBytes: options.readaheadMinBytes ?? 128 * 1024,
      pressureWaitMs: options.pressureWaitMs ?? 20,
      dirtyRatio: options.dirtyRatio ?? 0.5,
      beforeWritebackIo: options.beforeWritebackIo,
    };
    this.ctx = { arena: this.arena, stats: this.stats, tuning, requestWriteback: () => this.backgroundWriteback() };
    const interval = options.writebackIntervalMs ?? 5000;
    this.timer = interval > 0 ? setInterval(() => this.backgroundWriteback(), interval).unref() : null;
  }

  /**
   * Open a regular file. If it changed on disk since the cache last saw it (size,
   * mtime or inode), its clean pages are dropped; our dirty pages win.
   */
  async open(path: string, options: { writable?: boolean } = {}): Promise<CacheHandle> {
    const st = await stat(path, { bigint: true });
    const key = `${st.dev}:${st.ino}`;
    let file = this.files.get(key);
    const previous = this.byPath.get(path);
    if (previous && previous !== file) this.dropClean(previous);
    if (!file) {
      file = new CachedFile(key, path, this.arena);
      this.files.set(key, file);
    }
    file.path = path;
    this.byPath.set(path, file);
    await file.ensureFd();
    const identity = identityOf(st);
    const seen = file.seen;
    if (!seen || seen.size !== identity.size || seen.mtimeNs !== identity.mtimeNs || seen.ino !== identity.ino) {
      this.dropClean(file);
      const ours = file.index.count(PageFlag.DIRTY) + file.index.count(PageFlag.WRITEBACK) + file.mappings.size;
      if (ours === 0 || !seen) file.size = Number(st.size);
      file.diskSize = Number(st.size);
      file.seen = identity;
    }
    file.handles++;
    return { file, writable: options.writable ?? false, closed: false };
  }

  /** Last close of a file writes its dirty pages back and closes the descriptor. */
  async close(handle: CacheHandle): Promise<void> {
    if (handle.closed) return;
    handle.closed = true;
    const file = handle.file;
    file.handles--;
    if (file.handles > 0) return;
    await writeback(this.ctx, file, false);
    await Promise.allSettled([...file.fills]);
    if (file.handles === 0 && file.mapped === 0 && file.fd !== null && file.index.count(PageFlag.DIRTY) === 0 && file.fills.size === 0) {
      const fd = file.fd;
      file.fd = null;
      await file.serialized(() => closeAsync(fd));
    }
  }

  spliceToBvecs(handle: CacheHandle, offset: number, length: number, options: { forceCopy?: boolean } = {}): Promise<SpliceResult> {
    return spliceToBvecs(this.ctx, this.live(handle), offset, length, options.forceCopy ?? false);
  }

  /** Drop the page references of a splice; harmless to repeat. */
  release(bvecs: readonly Bvec[] | SpliceResult): void {
    releaseBvecs(this.ctx, Array.isArray(bvecs) ? bvecs : (bvecs as SpliceResult).bvecs);
  }

  /** Read into a new Buffer (a convenience over splice + copy + release). */
  async read(handle: CacheHandle, offset: number, length: number): Promise<Buffer> {
    const result = await this.spliceToBvecs(handle, offset, length);
    try {
      return Buffer.concat(result.bvecs.map((bvec) => bvec.bytes()), result.length);
    } finally {
      this.release(result);
    }
  }

  async write(handle: CacheHandle, offset: number, data: Buffer): Promise<number> {
    const file = this.live(handle);
    const written = await writeData(this.ctx, file, offset, data);
    if (this.arena.flagCounts.dirty > this.arena.maxPages * this.ctx.tuning.dirtyRatio) this.startBackground(file);
    return written;
  }

  setSize(handle: CacheHandle, size: number): Promise<void> {
    return setFileSize(this.ctx, this.live(handle), size);
  }

  size(handle: CacheHandle): number {
    return handle.file.size;
  }

  map(handle: CacheHandle, offset: number, length: number, options: { writable?: boolean } = {}): Promise<Mapping> {
    return mapRange(this.ctx, this.live(handle), offset, length, options.writable ?? true);
  }

  unmap(mapping: Mapping): void {
    unmapRange(this.ctx, mapping as MappingState);
  }

  /** Writeback plus fdatasync: afterwards everything written to the file is on disk. */
  flush(handle: CacheHandle): Promise<void> {
    return writeback(this.ctx, handle.file, true);
  }

  /** Write dirty pages back without waiting for the disk to make them durable. */
  writeback(handle: CacheHandle): Promise<void> {
    return writeback(this.ctx, handle.file, false);
  }

  async flushAll(): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const file of this.files.values()) {
      const pending = file.index.count(PageFlag.DIRTY) > 0 || file.mappings.size > 0 || file.diskSize !== file.size;
      if (pending) jobs.push(writeback(this.ctx, file, true));
    }
    await Promise.all(jobs);
  }

  /** Evict up to `maxPages` clean, unreferenced pages; returns how many went. */
  evict(maxPages = Infinity): number {
    return this.arena.evict(maxPages);
  }

  /** Tag bits of the page cached at `index` of the handle's file, or -1 when not cached. */
  pageFlags(handle: CacheHandle, index: number): number {
    return handle.file.index.get(index)?.flags ?? -1;
  }

  /** Reference count of the page cached at `index`, or 0 when not cached. */
  pageRefcount(handle: CacheHandle, index: number): number {
    return handle.file.index.get(index)?.refcount ?? 0;
  }

  counters(): CacheCounters {
    const { stats, arena } = this;
    const copied = { ...stats.copiedBytes };
    return {
      zeroCopyBytes: stats.zeroCopyBytes,
      copiedBytes: Object.values(copied).reduce((sum, n) => sum + n, 0),
      copiedBytesByReason: copied,
      cowReplacements: stats.cowReplacements,
      splicedPages: arena.flagCounts.spliced,
      evictions: arena.evictions,
      hits: stats.hits,
      misses: stats.misses,
      readaheadPages: stats.readaheadPages,
      dirtyPages: arena.flagCounts.dirty,
      writebackPages: arena.flagCounts.writeback,
      towritePages: arena.flagCounts.towrite,
      writebackBytes: stats.writebackBytes,
      writeThroughBytes: stats.writeThroughBytes,
      trackedFiles: this.files.size,
      flusherFileVisits: stats.flusherFileVisits,
      totalPages: arena.totalPages,
      maxPages: arena.maxPages,
      slabs: arena.slabs().length,
      pages: pageStates(arena, stats, [...this.files.values()]),
    };
  }

  slabs(): Slab[] {
    return this.arena.slabs();
  }

  /** Called for every slab as it is created (SMB Direct registers it as an MR); returns an unsubscribe. */
  onSlab(listener: SlabListener): () => void {
    return this.arena.onSlab(listener);
  }

  /** Stop the flusher, write everything back durably and close descriptors. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushAll();
    for (const file of this.files.values()) {
      await Promise.allSettled([...file.fills]);
      if (file.fd === null) continue;
      const fd = file.fd;
      file.fd = null;
      await file.serialized(() => closeAsync(fd));
    }
  }

  /**
   * Give every slab back to its allocator. Only after shutdown() and once every bvec
   * has been released: native slabs are detached, so any view left would go empty.
   */
  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.files.clear();
    this.byPath.clear();
    this.arena.destroy();
  }

  private live(handle: CacheHandle): CachedFile {
    if (handle.closed) throw new Error('cache: handle is closed');
    return handle.file;
  }

  private dropClean(file: CachedFile): void {
    const keep = PageFlag.DIRTY | PageFlag.WRITEBACK | PageFlag.TOWRITE;
    for (const page of file.index.allPages()) {
      if (page.flags & keep || page.loading || file.mappings.size > 0) continue;
      file.index.remove(page);
    }
    file.lastReadEnd = -1;
    file.readaheadEnd = 0;
  }

  private backgroundWriteback(): void {
    for (const file of this.files.values()) {
      this.stats.flusherFileVisits++;
      if (file.index.count(PageFlag.DIRTY) > 0) this.startBackground(file);
    }
  }

  private startBackground(file: CachedFile): void {
    if (file.backgroundWriteback) return;
    file.backgroundWriteback = true;
    writeback(this.ctx, file, false)
      .catch(() => undefined) // pages stay DIRTY; the next FLUSH reports the error
      .finally(() => {
        file.backgroundWriteback = false;
      });
  }
}
