import { close, constants } from 'node:fs';
import { fstatAsync, openAsync } from './fd-io.js';
import { PageIndex, type PageIndexEvents } from './page-index.js';
import type { PageArena } from './page-arena.js';
import type { Page } from './page.js';
import { PageFlag } from './page-flags.js';

/** What an empty per-file set reads as. */
const NONE: ReadonlySet<never> = new Set();
const SETTLED: Promise<void> = Promise.resolve();

/**
 * What the cache last saw of the file on disk; a mismatch means someone else changed it.
 * ctime is there because a rewrite can put size and mtime back, but not ctime.
 */
export interface DiskIdentity {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

/** Bytes stored in cache pages and queued for the kernel: one client range, or a run of whole pages. */
export interface QueuedWrite {
  position: number;
  /** The bytes, in file order: one view per stretch of pages that are neighbours in their slab. */
  views: Buffer[];
  length: number;
  /** Pinned until the write is done, so eviction cannot drop bytes the disk does not have yet. */
  pages: Page[];
  done(err?: unknown): void;
}

/** What the cache does when a file may have become idle or dirty. */
export interface FileEvents {
  /** Nothing of the file is left in memory but its entry: it may be forgotten. */
  mayBeIdle(file: CachedFile): void;
  /** The file has something to write back. */
  becameDirty(file: CachedFile): void;
}

/** A local consumer's writable window onto cache pages (the analogue of an mmap). */
export interface Mapping {
  readonly offset: number;
  readonly length: number;
  /** Page views covering [offset, offset + length), in order. */
  readonly views: Buffer[];
  readonly writable: boolean;
  unmap(): void;
}

export interface MappingState extends Mapping {
  readonly file: CachedFile;
  readonly firstIndex: number;
  readonly pages: Page[];
  active: boolean;
}

/** Everything the cache knows about one file, keyed by (dev, ino). */
export class CachedFile implements PageIndexEvents {
  readonly index: PageIndex;
  /** The descriptor the cache reads and writes through; the cache owns it. */
  fd: number | null = null;
  writableFd = false;
  /** Descriptors replaced by a writable one, kept open until the file is unused (I/O may still run on them). */
  retiredFds: number[] = [];
  handles = 0;
  /** The analogue of mapping_mapped(): live map() windows. */
  mapped = 0;
  private mappingSet: Set<MappingState> | null = null;
  /** Logical size including unflushed writes. */
  size = 0;
  /** Size of the file on disk as far as we know. */
  diskSize = 0;
  /** Disk bytes at or past this offset are stale (a shrink not yet applied by ftruncate). */
  diskStaleFrom = Infinity;
  seen: DiskIdentity | null = null;
  lastReadEnd = -1;
  readaheadEnd = 0;
  readaheadWindow = 0;
  /** Read-ahead reads of this file in flight (readahead-lanes.ts). */
  readaheadRunning = 0;
  pendingTruncates = 0;
  private fillSet: Set<Promise<void>> | null = null;
  /** A background writeback is queued or running. */
  backgroundWriteback = false;
  /** Client bytes stored in pages but not yet handed to the kernel, in store order. */
  readonly kernelQueue: QueuedWrite[] = [];
  /** Queued writes not yet written (the queue plus the batch being written). */
  kernelWritesPending = 0;
  kernelDrainScheduled = false;
  /** Wakes readers waiting for the kernel queue to empty. */
  kernelIdleWaiters: Array<() => void> = [];
  /** When the disk identity was last compared (ms, performance.now()). */
  validatedAt = 0;
  private opening: Promise<number> | null = null;
  /** Serialises writeback and ftruncate of this file. */
  ioTail: Promise<void> = SETTLED;
  /** Jobs queued or running in serialized(). */
  ioJobs = 0;

  constructor(
    readonly key: string,
    /** The name the file was last opened by; null when it was only ever handed over as a descriptor. */
    public path: string | null,
    arena: PageArena,
    private readonly events?: FileEvents,
  ) {
    this.index = new PageIndex(arena, this);
  }

  /** PageIndexEvents: the last page left the index. */
  onEmpty(): void {
    this.events?.mayBeIdle(this);
  }

  /** PageIndexEvents: the first page was tagged DIRTY. */
  onFirstDirty(): void {
    this.events?.becameDirty(this);
  }

  /** Live map() windows. Sets of a file are made on first use: most files never have one. */
  get mappings(): ReadonlySet<MappingState> {
    return this.mappingSet ?? NONE;
  }

  addMapping(mapping: MappingState): void {
    (this.mappingSet ??= new Set()).add(mapping);
  }

  deleteMapping(mapping: MappingState): void {
    this.mappingSet?.delete(mapping);
  }

  /** Reads from disk in flight (demand fills and read-ahead); the descriptor stays open until they end. */
  get fills(): ReadonlySet<Promise<void>> {
    return this.fillSet ?? NONE;
  }

  addFill(fill: Promise<void>): void {
    (this.fillSet ??= new Set()).add(fill);
  }

  deleteFill(fill: Promise<void>): void {
    this.fillSet?.delete(fill);
  }

  /** Pages, mappings, queued writes or a size change of ours are not on disk yet. */
  hasOwnPending(): boolean {
    const { index } = this;
    return index.count(PageFlag.DIRTY) + index.count(PageFlag.WRITEBACK) + this.mappings.size + this.kernelWritesPending + this.pendingTruncates > 0;
  }

  /** Something of ours is not on disk yet, the logical size included. */
  hasUnwrittenData(): boolean {
    return this.hasOwnPending() || this.diskSize !== this.size;
  }

  /** No open, no page, no descriptor and no I/O: the entry holds nothing worth keeping. */
  isIdle(): boolean {
    return (
      this.handles === 0 && this.index.size === 0 && this.fd === null && this.opening === null && this.fills.size === 0 && !this.backgroundWriteback && !this.hasUnwrittenData()
    );
  }

  /** Resolves once every queued client write has been handed to the kernel. */
  kernelWritesSettled(): Promise<void> {
    if (this.kernelWritesPending === 0) return Promise.resolve();
    return new Promise((resolve) => this.kernelIdleWaiters.push(resolve));
  }

  /**
   * Take ownership of `fd` (opened read-write when `writable`): it becomes the file's descriptor
   * when there is none, or when it can write and the current one cannot; otherwise it is closed.
   */
  adoptFd(fd: number, writable: boolean): void {
    if (this.fd !== null && (this.writableFd || !writable)) {
      close(fd, () => undefined);
      return;
    }
    if (this.fd !== null) this.retiredFds.push(this.fd);
    this.fd = fd;
    this.writableFd = writable;
  }

  /** Every descriptor the file holds, now no longer its own: the caller closes them. */
  takeFds(): number[] {
    const fds = this.fd === null ? [] : [this.fd];
    fds.push(...this.retiredFds);
    this.fd = null;
    this.retiredFds = [];
    return fds;
  }

  /**
   * The open descriptor, opening the file again by name (read-write if allowed) when it was
   * closed; a file handed over only as a descriptor has no name to reopen (EBADF).
   */
  ensureFd(): Promise<number> {
    if (this.fd !== null) return Promise.resolve(this.fd);
    if (this.path === null) return Promise.reject(Object.assign(new Error(`cache: file ${this.key} has no open descriptor`), { code: 'EBADF' }));
    this.opening ??= openForCache(this.path, this.key).then(
      ({ fd, writable }) => {
        this.opening = null;
        if (this.fd !== null) {
          close(fd, () => undefined); // on the thread pool: a release may write back (server/create-file.ts, closeHeld)
          return this.fd;
        }
        this.fd = fd;
        this.writableFd = writable;
        return fd;
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  /** Run `job` after every earlier writeback/ftruncate of this file. */
  serialized<T>(job: () => Promise<T>): Promise<T> {
    this.ioJobs++;
    const run = this.ioTail.then(job);
    this.ioTail = run.then(
      () => void this.ioJobs--,
      () => void this.ioJobs--,
    );
    return run;
  }
}

/** Open read-write if allowed, else read-only; with `key` (dev:ino), refuse a path that now names a different file. */
export async function openForCache(path: string, key?: string): Promise<{ fd: number; writable: boolean }> {
  let opened: { fd: number; writable: boolean };
  try {
    opened = { fd: await openAsync(path, constants.O_RDWR), writable: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw err;
    opened = { fd: await openAsync(path, constants.O_RDONLY), writable: false };
  }
  if (key === undefined) return opened;
  const stats = await fstatAsync(opened.fd);
  if (`${stats.dev}:${stats.ino}` !== key) {
    close(opened.fd, () => undefined);
    throw Object.assign(new Error(`cache: ${path} was replaced by another file`), { code: 'ESTALE' });
  }
  return opened;
}
