import { close as closeFd } from 'node:fs';
import { Status, SmbStatusError, statusFromErrno } from '../smb2/status.js';
import { HostStats, type HostFs } from './host-fs.js';

/** A UTF-16 surrogate without its partner: it has no UTF-8 form, so two wire names would map to one host name. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A share-relative path split into components, as received ('\' separated), checked for escapes. */
export function splitSharePath(wireName: string): string[] {
  if (wireName.includes('\0') || LONE_SURROGATE.test(wireName)) throw new SmbStatusError(Status.OBJECT_NAME_INVALID);
  const unified = wireName.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:(\/|$)/.test(unified)) throw new SmbStatusError(Status.INVALID_PARAMETER, 'absolute path');
  const parts: string[] = [];
  for (const part of unified.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new SmbStatusError(Status.OBJECT_PATH_SYNTAX_BAD, '.. in path');
    if (part.includes(':')) throw new SmbStatusError(Status.OBJECT_NAME_NOT_FOUND, 'alternate data streams are not supported');
    parts.push(part);
  }
  return parts;
}

/** errno of a failed host call, as `code` ('EXDEV', ...). */
export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** An SmbStatusError for a failed host call; leaving the share (EXDEV, ELOOP) is ACCESS_DENIED. */
export function hostFailure(err: unknown, missingParent = false): SmbStatusError {
  if (err instanceof SmbStatusError) return err;
  return new SmbStatusError(statusFromErrno(errnoCode(err), missingParent), (err as Error | undefined)?.message);
}

export function closeQuietly(fd: number): Promise<void> {
  return new Promise((resolve) => closeFd(fd, () => resolve()));
}

/** openat2 reports EAGAIN when a rename raced the RESOLVE_BENEATH walk; a retry settles it. */
const EAGAIN_RETRIES = 16;
const AT_FDCWD = -100;

/**
 * One share's root directory, held open as a descriptor. Every share path is opened with
 * openat2 beneath it (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): `..`, absolute symlinks,
 * symlinks that lead out and /proc magic links fail (EXDEV or ELOOP, answered
 * STATUS_ACCESS_DENIED), and symlinks that stay inside are followed, as Samba does.
 * There is no check-then-open window: the kernel checks while it walks.
 */
export class ShareRoot {
  private rootFd: Promise<number> | null = null;

  constructor(
    readonly root: string,
    readonly fs: HostFs,
  ) {}

  private get beneath(): number {
    return this.fs.constants.RESOLVE_BENEATH | this.fs.constants.RESOLVE_NO_MAGICLINKS;
  }

  /** The share root's descriptor (O_PATH), opened once. */
  private descriptor(): Promise<number> {
    const c = this.fs.constants;
    this.rootFd ??= this.fs.openat2(AT_FDCWD, this.root, c.O_PATH | c.O_DIRECTORY, 0, 0).catch((err) => {
      this.rootFd = null;
      throw new SmbStatusError(Status.BAD_NETWORK_NAME, `share root ${this.root}: ${(err as Error).message}`);
    });
    return this.rootFd;
  }

  /**
   * openat2 of share-relative `parts` beneath the root (the root itself for none). Rejects with
   * the host error (callers map it with hostFailure, which knows whether a parent was missing).
   */
  async open(parts: readonly string[], flags: number, mode = 0, extraResolve = 0): Promise<number> {
    const root = await this.descriptor();
    const rel = parts.length ? parts.join('/') : '.';
    const inPlace = this.openFromDentryCache(root, rel, flags, this.beneath | extraResolve);
    if (inPlace !== null) return inPlace;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.fs.openat2(root, rel, flags, mode, this.beneath | extraResolve);
      } catch (err) {
        if (errnoCode(err) !== 'EAGAIN' || attempt >= EAGAIN_RETRIES) throw err;
      }
    }
  }

  /**
   * An O_PATH open done in place when the kernel's dentry cache can complete the walk
   * (RESOLVE_CACHED): no directory is read from disk and no file system open method runs, so it
   * cannot wait for I/O, and it spares the thread-pool round trip (a wake-up there and one back)
   * that costs more than the walk. Null: open on the thread pool. A name known to be missing
   * (ENOENT from a cached negative entry) is final; any other failure is left for the thread
   * pool's open to report, which also retries the EAGAIN of a rename racing the walk.
   */
  private openFromDentryCache(root: number, rel: string, flags: number, resolve: number): number | null {
    if (!this.fs.openat2Cached || !(flags & this.fs.constants.O_PATH)) return null;
    try {
      const fd = this.fs.openat2Cached(root, rel, flags, resolve);
      return fd >= 0 ? fd : null;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw err;
      return null;
    }
  }

  /** Run `body` with the parent directory of `parts` open (O_PATH) and the leaf name. */
  async inParent<T>(parts: readonly string[], body: (dirfd: number, leaf: string) => Promise<T>): Promise<T> {
    const c = this.fs.constants;
    let dirfd: number;
    try {
      dirfd = await this.open(parts.slice(0, -1), c.O_PATH | c.O_DIRECTORY);
    } catch (err) {
      throw hostFailure(err, true);
    }
    try {
      return await body(dirfd, parts[parts.length - 1]);
    } finally {
      await closeQuietly(dirfd);
    }
  }

  /** statx of an open descriptor (O_PATH ones too). */
  async stat(fd: number): Promise<HostStats> {
    return new HostStats(await this.fs.statAt(fd, '', this.fs.constants.AT_EMPTY_PATH));
  }

  /** Close the root descriptor (after a reload dropped the share); opens in flight keep theirs. */
  async dispose(): Promise<void> {
    const fd = await this.rootFd?.catch(() => null);
    this.rootFd = null;
    if (fd !== null && fd !== undefined) await closeQuietly(fd);
  }
}

/**
 * The path of an open descriptor in /proc: opening it reopens exactly that file (with new
 * access flags), whatever its name points to by then. Valid while the descriptor is open.
 */
export function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}
