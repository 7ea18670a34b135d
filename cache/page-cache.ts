import { PageArena, type Slab, type SlabListener } from './page-arena.js';
import { CachedFile, openForCache, type Mapping, type MappingState } from './cached-file.js';
import type { CacheContext, CacheTuning, WriteRunsStat } from './context.js';
import { newStats, type CacheCounters, type CacheStats } from './counters.js';
import type { Bvec, SpliceResult } from './bvec.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';
import type { SlabAllocator } from './slab-allocator.js';
import { releaseBvecs, spliceToBvecs } from './splice.js';
import { setFileSize, writeData } from './write-path.js';
import { writeIntoPages } from './write-into-pages.js';
import type { FillTargets, WriteFromResult } from '../server/file-io.js';
import { mapRange, unmapRange } from './mapping.js';
import { writeback } from './writeback.js';
import { dropCleanPages, revalidateOnOpen } from './coherence.js';
import { closeAsync } from './fd-io.js';
import { fstatSync, type BigIntStats } from 'node:fs';
import { pageStates } from './page-states.js';
import { NO_PAGE } from './page.js';

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
  /** Largest sequential read-ahead window (also at most 1/8 of the cache). Default 32 MiB: SMB clients keep several 1–8 MiB READs outstanding. */
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
  /**
   * Keep written data only in memory (DIRTY pages) until writeback, instead of handing every
   * write to the kernel before it resolves. Faster for small writes, but whatever is not yet
   * written back is lost if the process dies. Default false.
   */
  writeBehind?: boolean;
  /**
   * The fs addon's writeRunsStat: a batch of kernel writes and the two fstat calls around it
   * (coherence.ts) in one thread-pool job instead of three. Default: the steps one by one.
   */
  writeRunsStat?: WriteRunsStat;
}

/** Close a file's descriptors (CachedFile.takeFds), on the thread pool: a release may write the file back (server/create-file.ts, closeHeld). */
async function closeAll(fds: readonly number[]): Promise<void> {
  await Promise.all(fds.map((fd) => closeAsync(fd)));
}

/**
 * Past this, offsets lose integer precision, and the kernel's positional calls would take
 * them for "the current position": refused as too large before anything changes.
 */
function refuseBeyondMaxOffset(end: number): void {
  if (!Number.isSafeInteger(end) || end < 0) throw Object.assign(new RangeError(`cache: offset ${end} is beyond the largest file`), { code: 'EFBIG' });
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
  /** Files that may have something to write back: all the flusher looks at. */
  private readonly dirtyFiles = new Set<CachedFile>();
  private readonly fileEvents = {
    mayBeIdle: (file: CachedFile) => this.forgetIfIdle(file),
    becameDirty: (file: CachedFile) => this.dirtyFiles.add(file),
  };
  private readonly timer: NodeJS.Timeout | null;

  constructor(options: PageCacheOptions = {}) {
    const maxBytes = options.maxBytes ?? 256 * MiB;
    const slabBytes = options.slabBytes ?? Math.max(PAGE_SIZE, Math.min(4 * MiB, Math.floor(maxBytes / PAGE_SIZE) * PAGE_SIZE));
    this.arena = new PageArena({ maxBytes, slabBytes, allocator: options.allocator });
    const tuning: CacheTuning = {
      forceCopy: options.forceCopy ?? false,
      readaheadMaxBytes: options.readaheadMaxBytes ?? 32 * MiB,
      readaheadMinBytes: options.readaheadMinBytes ?? 128 * 1024,
      pressureWaitMs: options.pressureWaitMs ?? 20,
      dirtyRatio: options.dirtyRatio ?? 0.5,
      writeBehind: options.writeBehind ?? false,
      beforeWritebackIo: options.beforeWritebackIo,
    };
    this.ctx = {
      arena: this.arena, stats: this.stats, tuning, requestWriteback: () => this.backgroundWriteback(), writeRunsStat: options.writeRunsStat,
    };
    const interval = options.writebackIntervalMs ?? 5000;
    this.timer = interval > 0 ? setInterval(() => this.backgroundWriteback(), interval).unref() : null;
  }

  /**
   * Open a regular file, by name or by descriptor. A descriptor (opened read-write when
   * `writable`, else read-only; never O_PATH) becomes the cache's own, even when open() throws:
   * the caller must neither use nor close it afterwards. The cache keeps one descriptor per file
   * (the first, or a later writable one) and closes the others at once. A name is opened by the
   * cache itself (read-write if allowed), and reopened after the file was closed.
   * If the file changed on disk since the cache last saw it (size, mtime, ctime or inode), its
   * clean pages are dropped; our unwritten data wins.
   */
  async open(target: string | number, options: { writable?: boolean } = {}): Promise<CacheHandle> {
    const writable = options.writable ?? false;
    const opened = typeof target === 'number' ? { fd: target, writable } : await openForCache(target);
    let st: BigIntStats;
    try {
      // In place: an fstat of a descriptor we hold walks no path and waits for no disk on a local file system.
      st = fstatSync(opened.fd, { bigint: true });
      if (!st.isFile()) throw Object.assign(new Error('cache: not a regular file'), { code: 'EINVAL' });
    } catch (err) {
      await closeAsync(opened.fd).catch(() => undefined);
      throw err;
    }
    const file = this.fileFor(`${st.dev}:${st.ino}`, typeof target === 'string' ? target : null);
    file.adoptFd(opened.fd, opened.writable);
    file.handles++;
    try {
      await revalidateOnOpen(file, st);
    } catch (err) {
      file.handles--;
      await this.closeUnusedFd(file);
      throw err;
    }
    return { file, writable, closed: false };
  }

  /** The file's entry, made when new; a name that now denotes another file drops that one's clean pages. */
  private fileFor(key: string, path: string | null): CachedFile {
    let file = this.files.get(key);
    const previous = path === null ? undefined : this.byPath.get(path);
    if (previous && previous !== file) {
      dropCleanPages(previous);
      this.byPath.delete(path!);
      this.forgetIfIdle(previous);
    }
    if (!file) {
      file = new CachedFile(key, path, this.arena, this.fileEvents);
      this.files.set(key, file);
    }
    if (path !== null) {
      if (file.path !== null && this.byPath.get(file.path) === file) this.byPath.delete(file.path); // renamed since: one name per file
      file.path = path;
      this.byPath.set(path, file);
    }
    return file;
  }

  /** Last close of a file writes its dirty pages back and closes the descriptor. */
  async close(handle: CacheHandle): Promise<void> {
    if (handle.closed) return;
    handle.closed = true;
    const file = handle.file;
    file.handles--;
    if (file.handles > 0) return;
    await this.writebackFile(file, false);
    await Promise.allSettled([...file.fills]);
    await this.closeUnusedFd(file);
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

  /**
   * Resolves once the bytes are in the kernel (or, in write-behind mode, in DIRTY pages);
   * `writeThrough` (SMB2_WRITEFLAG_WRITE_THROUGH, FILE_WRITE_THROUGH opens) adds fdatasync.
   */
  async write(handle: CacheHandle, offset: number, data: Buffer, options: { writeThrough?: boolean } = {}): Promise<number> {
    const file = this.live(handle);
    refuseBeyondMaxOffset(offset + data.length);
    const writeThrough = options.writeThrough ?? false;
    const written = this.ctx.tuning.writeBehind && writeThrough ? await this.writeBehindThrough(file, offset, data) : await writeData(this.ctx, file, offset, data, writeThrough);
    this.startBackgroundIfDirty(file);
    return written;
  }

  private startBackgroundIfDirty(file: CachedFile): void {
    if (this.arena.flagCounts.dirty > this.arena.maxPages * this.ctx.tuning.dirtyRatio) this.startBackground(file);
  }

  /**
   * A WRITE of `length` bytes whose data `fill` delivers (SMB Direct: RDMA READ) into the targets
   * it is given: fresh registered pages for the whole pages of the range, heap Buffers for the
   * rest. The pages replace the cached ones only once filled; resolves like write(). If `fill`
   * rejects, nothing about the file changed.
   */
  async writeFrom(handle: CacheHandle, offset: number, length: number, fill: FillTargets, options: { writeThrough?: boolean } = {}): Promise<WriteFromResult> {
    const file = this.live(handle);
    refuseBeyondMaxOffset(offset + length);
    const writeThrough = options.writeThrough ?? false;
    const behindThrough = this.ctx.tuning.writeBehind && writeThrough;
    const result = await writeIntoPages(this.ctx, file, offset, length, fill, writeThrough && !behindThrough);
    if (behindThrough) await this.writebackFile(file, true);
    this.startBackgroundIfDirty(file);
    return result;
  }

  async setSize(handle: CacheHandle, size: number): Promise<void> {
    const file = this.live(handle);
    refuseBeyondMaxOffset(size);
    await setFileSize(this.ctx, file, size);
  }

  size(handle: CacheHandle): number {
    return handle.file.size;
  }

  async map(handle: CacheHandle, offset: number, length: number, options: { writable?: boolean } = {}): Promise<Mapping> {
    const file = this.live(handle);
    const mapping = await mapRange(this.ctx, file, offset, length, options.writable ?? true);
    this.dirtyFiles.add(file);
    return mapping;
  }

  unmap(mapping: Mapping): void {
    unmapRange(this.ctx, mapping as MappingState);
  }

  /** Writeback plus fdatasync: afterwards everything written to the file is on disk. */
  flush(handle: CacheHandle): Promise<void> {
    return this.writebackFile(handle.file, true);
  }

  /** Write dirty pages back without waiting for the disk to make them durable. */
  writeback(handle: CacheHandle): Promise<void> {
    return this.writebackFile(handle.file, false);
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.dirtyFiles].map((file) => this.writebackFile(file, true)));
  }

  /** Evict up to `maxPages` clean, unreferenced pages; returns how many went. */
  evict(maxPages = Infinity): number {
    return this.arena.evict(maxPages);
  }

  /** Tag bits of the page cached at `index` of the handle's file, or -1 when not cached. */
  pageFlags(handle: CacheHandle, index: number): number {
    const page = handle.file.index.get(index);
    return page === NO_PAGE ? -1 : this.arena.flags[page];
  }

  /** Reference count of the page cached at `index`, or 0 when not cached. */
  pageRefcount(handle: CacheHandle, index: number): number {
    const page = handle.file.index.get(index);
    return page === NO_PAGE ? 0 : this.arena.refcount[page];
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
      trackedPaths: this.byPath.size,
      flusherFileVisits: stats.flusherFileVisits,
      fdatasyncs: stats.fdatasyncs,
      totalPages: arena.totalPages,
      maxPages: arena.maxPages,
      slabs: arena.slabs().length,
      pages: pageStates(arena, stats, [...this.files.values()]),
    };
  }

  slabs(): Slab[] {
    return this.arena.slabs();
  }

  /**
   * Tell `listener` about every slab: the existing ones at once, each new one as it is created,
   * before any of its pages holds data (SMB Direct registers one MR per slab). A cleanup the
   * listener returns runs when the slab is released (destroy()) or on unsubscribe (the returned
   * function). A listener that throws fails the allocation that created the slab.
   */
  onSlab(listener: SlabListener): () => void {
    return this.arena.onSlab(listener);
  }

  /** Stop the flusher, write everything back durably and close descriptors. */
  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flushAll();
    for (const file of this.files.values()) {
      await Promise.allSettled([...file.fills]);
      const fds = file.takeFds();
      if (fds.length > 0) await file.serialized(() => closeAll(fds));
    }
  }

  /**
   * Give every slab back to its allocator, running the onSlab cleanups of each first (MRs are
   * deregistered before their memory is freed). Only after shutdown() and once every bvec
   * has been released: native slabs are detached, so any view left would go empty.
   */
  destroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.files.clear();
    this.byPath.clear();
    this.dirtyFiles.clear();
    this.arena.destroy();
  }

  private live(handle: CacheHandle): CachedFile {
    // EBADF, as a closed descriptor would give: a request racing its handle's CLOSE gets FILE_CLOSED.
    if (handle.closed) throw Object.assign(new Error('cache: handle is closed'), { code: 'EBADF' });
    return handle.file;
  }

  /** Write-behind still honours a write-through request: the write, then a durable writeback of the file. */
  private async writeBehindThrough(file: CachedFile, offset: number, data: Buffer): Promise<number> {
    const written = await writeData(this.ctx, file, offset, data);
    await this.writebackFile(file, true);
    return written;
  }

  private async writebackFile(file: CachedFile, sync: boolean): Promise<void> {
    try {
      await writeback(this.ctx, file, sync);
    } finally {
      this.settle(file);
    }
  }

  /** After writeback: a file with nothing left to write leaves the dirty set, and may be forgotten. */
  private settle(file: CachedFile): void {
    if (file.hasUnwrittenData()) return;
    this.dirtyFiles.delete(file);
    if (file.handles === 0) void this.closeUnusedFd(file);
  }

  /** Close the descriptor of a file nobody has open and nothing needs, then forget it if nothing is cached. */
  private async closeUnusedFd(file: CachedFile): Promise<void> {
    const unused = (): boolean => file.handles === 0 && file.mapped === 0 && file.fills.size === 0 && !file.hasUnwrittenData();
    if (file.fd !== null && unused()) {
      const fds = file.takeFds();
      await file.serialized(() => closeAll(fds)).catch(() => undefined);
    }
    this.forgetIfIdle(file);
  }

  private forgetIfIdle(file: CachedFile): void {
    if (!file.isIdle()) return;
    if (this.files.get(file.key) === file) this.files.delete(file.key);
    if (file.path !== null && this.byPath.get(file.path) === file) this.byPath.delete(file.path);
    this.dirtyFiles.delete(file);
  }

  private backgroundWriteback(): void {
    for (const file of this.dirtyFiles) {
      this.stats.flusherFileVisits++;
      if (file.index.count(PageFlag.DIRTY) > 0) this.startBackground(file);
      else if (!file.backgroundWriteback) this.settle(file);
    }
  }

  private startBackground(file: CachedFile): void {
    if (file.backgroundWriteback) return;
    file.backgroundWriteback = true;
    writeback(this.ctx, file, false)
      .catch(() => undefined) // pages stay DIRTY; the next FLUSH reports the error
      .finally(() => {
        file.backgroundWriteback = false;
        this.settle(file);
      });
  }
}
