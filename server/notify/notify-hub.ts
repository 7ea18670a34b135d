/**
 * Every directory watch of the server on one inotify instance (the HostFs's Inotify). The
 * kernel gives one watch descriptor per directory, so a descriptor may serve several opens'
 * watches, each with that directory's path beneath its own watched directory. A WATCH_TREE
 * watch follows its tree: a subdirectory created or moved in is watched too (its existing
 * subdirectories found with readDirectoryAt, in bounded batches), one removed or moved out is
 * dropped. Watches are bounded server-wide and per watch; past a bound the watch gets
 * STATUS_NOTIFY_ENUM_DIR and its tree stops growing.
 */
import { DIR_RECORD, type HostFs, type HostInotify, type HostInotifyConstants, type HostInotifyEvent } from '../host-fs.js';
import type { Logger } from '../log.js';
import type { ServerLimits } from '../options.js';
import { DirectoryWatch, type DirectoryWatchOptions } from './directory-watch.js';
import { actionOf, eventMatches, inotifyMaskFor, renameAlsoModifies } from './inotify-map.js';
import { NotifyAction } from '../../smb2/commands/change-notify.js';
import { Status } from '../../smb2/status.js';
import { closeQuietly } from '../share-root.js';
import { closeInPlace, reopen } from '../create-file.js';

/** Limits of change notification (ServerLimits' notify rows). */
export interface NotifyLimits {
  /** inotify watches over the whole server. */
  maxWatches: number;
  /** inotify watches one WATCH_TREE request may hold (its directory and those beneath it). */
  maxWatchesPerTree: number;
  /** Bytes of changes queued per open while no request waits. */
  maxQueuedBytes: number;
  /** The same over the whole server. */
  maxQueuedBytesTotal: number;
}

export function notifyLimitsOf(l: ServerLimits): NotifyLimits {
  return {
    maxWatches: l.maxNotifyWatches,
    maxWatchesPerTree: l.maxNotifyWatchesPerTree,
    maxQueuedBytes: l.maxNotifyQueuedBytes,
    maxQueuedBytesTotal: l.maxNotifyQueuedBytesTotal,
  };
}

/** d_type of a directory, dirent.h. */
const DT_DIR = 4;
/** Entries per readDirectoryAt batch while a tree is walked. */
const WALK_BATCH = 256;

function joinPath(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}\\${name}`;
}

export class NotifyHub {
  private inotify: HostInotify | null = null;
  private readonly byWd = new Map<number, Set<DirectoryWatch>>();
  private readonly byFile = new Map<string, Set<DirectoryWatch>>();
  private readonly budget = { used: 0, max: () => this.limits().maxQueuedBytesTotal };

  constructor(
    private readonly fs: () => HostFs,
    private readonly limits: () => NotifyLimits,
    private readonly log: () => Logger,
  ) {}

  /** Whether this host can watch directories at all. */
  get available(): boolean {
    const fs = this.fs();
    return fs.Inotify !== undefined && fs.inotifyConstants !== undefined;
  }

  private get c(): HostInotifyConstants {
    return this.fs().inotifyConstants!;
  }

  /** inotify watch descriptors held now. */
  get watchCount(): number {
    return this.byWd.size;
  }

  /**
   * Start watching for an open (its first CHANGE_NOTIFY). A WATCH_TREE watch walks its tree in
   * the background; changes beneath a directory are seen from when that directory is watched.
   */
  watch(o: Omit<DirectoryWatchOptions, 'queueLimit'> & { queueLimit: number }): DirectoryWatch {
    const w = new DirectoryWatch({ ...o, queueLimit: Math.min(o.queueLimit, this.limits().maxQueuedBytes), budget: this.budget });
    w.mask = inotifyMaskFor(w.filter, this.c);
    let files = this.byFile.get(w.fileKey);
    if (!files) this.byFile.set(w.fileKey, (files = new Set()));
    files.add(w);
    if (w.mask !== 0 && this.subscribe(w, '') && w.recursive) void this.walk(w, '');
    return w;
  }

  /**
   * An open closed: its waiting requests get STATUS_NOTIFY_CLEANUP and its watches go; when it
   * left its directory delete-pending, the other opens' requests get STATUS_DELETE_PENDING.
   */
  closed(open: { notify?: DirectoryWatch; fileKey: string; isDirectory: boolean }, deletePending: boolean): void {
    if (open.notify) this.unwatch(open.notify);
    if (open.isDirectory && deletePending) this.deletePending(open.fileKey);
  }

  /** Bytes of changes queued over the whole server now. */
  get queuedBytes(): number {
    return this.budget.used;
  }

  private unwatch(w: DirectoryWatch): void {
    w.endAll(Status.NOTIFY_CLEANUP);
    w.dispose();
    for (const wd of [...w.dirs.keys()]) this.drop(w, wd);
    const files = this.byFile.get(w.fileKey);
    files?.delete(w);
    if (files?.size === 0) this.byFile.delete(w.fileKey);
  }

  /** The directory became delete-pending ([MS-FSA] 2.1.5.4): its watches' requests end with STATUS_DELETE_PENDING. */
  deletePending(fileKey: string): void {
    for (const w of this.byFile.get(fileKey) ?? []) w.endAll(Status.DELETE_PENDING, true);
  }

  private instance(): HostInotify {
    if (!this.inotify) {
      const Inotify = this.fs().Inotify!;
      this.inotify = new Inotify((events) => this.dispatch(events));
    }
    return this.inotify;
  }

  /** Watch the directory `prefix` beneath w's directory; false (and the watch overflows) past a limit or on an error. */
  private subscribe(w: DirectoryWatch, prefix: string): boolean {
    // Already watched (its create event and a walk can both find a new directory).
    for (const p of w.dirs.values()) if (p === prefix) return false;
    if (!this.watching(w)) return false;
    const limits = this.limits();
    if (w.dirs.size >= limits.maxWatchesPerTree || this.byWd.size >= limits.maxWatches) {
      w.overflow();
      return false;
    }
    const c = this.c;
    let wd: number;
    try {
      const path = prefix.replaceAll('\\', '/');
      wd = this.instance().addWatch(w.fd, path, w.mask | c.IN_MASK_ADD | c.IN_EXCL_UNLINK);
    } catch (err) {
      this.log().debug({ err: (err as Error).message, dir: prefix }, 'change notify: cannot watch');
      if (prefix === '' || (err as NodeJS.ErrnoException).code !== 'ENOENT') w.overflow();
      return false;
    }
    w.dirs.set(wd, prefix);
    let watches = this.byWd.get(wd);
    if (!watches) this.byWd.set(wd, (watches = new Set()));
    watches.add(w);
    return true;
  }

  private drop(w: DirectoryWatch, wd: number): void {
    w.dirs.delete(wd);
    const watches = this.byWd.get(wd);
    if (!watches) return;
    watches.delete(w);
    if (watches.size > 0) return;
    this.byWd.delete(wd);
    this.inotify?.removeWatch(wd);
  }

  /** Drop w's watches of `prefix` and everything beneath it (removed, or moved out of its tree). */
  private dropTree(w: DirectoryWatch, prefix: string): void {
    for (const [wd, p] of [...w.dirs]) if (p === prefix || p.startsWith(prefix + '\\')) this.drop(w, wd);
  }

  /** A directory of w's tree moved within it: the paths of it and beneath it change. */
  private moveTree(w: DirectoryWatch, from: string, to: string): void {
    for (const [wd, p] of w.dirs) {
      if (p === from) w.dirs.set(wd, to);
      else if (p.startsWith(from + '\\')) w.dirs.set(wd, to + p.slice(from.length));
    }
  }

  /**
   * Watch every directory beneath `prefix` (already watched), breadth first, batch by batch. The
   * walk reads through a descriptor of its own, taken now while the open is known to be alive:
   * the open's descriptor may close during the walk and its number then name another file. A
   * walk that fails ends (the changes beneath are then seen from where it got to); it never
   * rejects.
   */
  private async walk(w: DirectoryWatch, prefix: string): Promise<void> {
    if (!this.watching(w)) return;
    const c = this.fs().constants;
    let top: number;
    try {
      top = reopen(w.fd, c.O_PATH | c.O_DIRECTORY);
    } catch {
      return; // the directory went away
    }
    try {
      await this.walkFrom(w, top, prefix);
    } catch (err) {
      this.log().debug({ err: (err as Error).message, prefix }, 'CHANGE_NOTIFY tree walk ended early');
    } finally {
      closeInPlace(top);
    }
  }

  private async walkFrom(w: DirectoryWatch, top: number, prefix: string): Promise<void> {
    const fs = this.fs();
    const c = fs.constants;
    const queue = [prefix];
    while (queue.length > 0) {
      const dir = queue.shift()!;
      if (!this.watching(w)) return;
      let fd: number;
      try {
        fd = dir === '' ? top : await fs.openat2(top, dir.replaceAll('\\', '/'), c.O_PATH | c.O_DIRECTORY | c.O_NOFOLLOW, 0, c.RESOLVE_BENEATH | c.RESOLVE_NO_SYMLINKS);
      } catch {
        continue; // gone meanwhile
      }
      try {
        for (const name of await this.subdirectories(fd, this.limits().maxWatchesPerTree - w.dirs.size + 1)) {
          if (!this.watching(w)) return;
          const sub = joinPath(dir, name);
          if (!this.subscribe(w, sub)) {
            if (w.dirs.size >= this.limits().maxWatchesPerTree || this.byWd.size >= this.limits().maxWatches) return;
            continue;
          }
          queue.push(sub);
        }
      } finally {
        if (fd !== top) void closeQuietly(fd);
      }
    }
  }

  private watching(w: DirectoryWatch): boolean {
    return this.byFile.get(w.fileKey)?.has(w) ?? false;
  }

  /** Names of the subdirectories of `fd`, at most `max` (a walk needs no more than its watches left). */
  private async subdirectories(fd: number, max: number): Promise<string[]> {
    const names: string[] = [];
    let cookie = 0n;
    for (;;) {
      const batch = await this.fs().readDirectoryAt(fd, cookie, WALK_BATCH);
      const count = batch.records.length / DIR_RECORD.SIZE;
      for (let i = 0; i < count; i++) {
        const at = i * DIR_RECORD.SIZE;
        cookie = batch.records.readBigInt64LE(at + DIR_RECORD.COOKIE);
        if (batch.records.readUInt8(at + DIR_RECORD.TYPE) !== DT_DIR) continue;
        const offset = batch.records.readUInt32LE(at + DIR_RECORD.NAME_OFFSET);
        const length = batch.records.readUInt16LE(at + DIR_RECORD.NAME_LENGTH);
        names.push(batch.names.toString('utf8', offset, offset + length));
      }
      if (batch.end || count === 0 || names.length >= max) return names;
    }
  }

  /** One batch of inotify events, in the kernel's order. */
  private dispatch(events: HostInotifyEvent[]): void {
    const c = this.c;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.mask & c.IN_Q_OVERFLOW) {
        for (const set of this.byFile.values()) for (const w of set) w.overflow();
        continue;
      }
      const watches = this.byWd.get(e.wd);
      if (!watches) continue;
      if (e.mask & c.IN_IGNORED) {
        for (const w of [...watches]) w.dirs.delete(e.wd);
        this.byWd.delete(e.wd);
        continue;
      }
      const action = actionOf(events, i, c);
      if (action === null) continue;
      for (const w of [...watches]) this.deliver(w, e, action);
    }
  }

  private deliver(w: DirectoryWatch, e: HostInotifyEvent, action: number): void {
    const c = this.c;
    const prefix = w.dirs.get(e.wd);
    if (prefix === undefined || (prefix !== '' && !w.recursive)) return;
    const name = joinPath(prefix, e.name.toString('utf8'));
    if (w.recursive && e.mask & c.IN_ISDIR) this.followTree(w, e, action, name);
    if (!eventMatches(e, w.filter, w.mask, c)) return;
    w.add({ action, name });
    if (renameAlsoModifies(e, action, w.filter, w.mask, c)) w.add({ action: NotifyAction.MODIFIED, name });
  }

  /** A directory of a WATCH_TREE tree appeared, went or moved: the tree's watches follow. */
  private followTree(w: DirectoryWatch, e: HostInotifyEvent, action: number, name: string): void {
    if (action === NotifyAction.ADDED) {
      // Moved in with its contents, or created and filled before this event was read
      // (mkdir -p): its existing subdirectories are watched too.
      if (this.subscribe(w, name)) void this.walk(w, name);
    } else if (action === NotifyAction.REMOVED) {
      this.dropTree(w, name);
    } else if (action === NotifyAction.RENAMED_OLD_NAME) {
      w.renaming = name;
    } else if (action === NotifyAction.RENAMED_NEW_NAME && w.renaming !== undefined) {
      this.moveTree(w, w.renaming, name);
      w.renaming = undefined;
    }
  }
}
