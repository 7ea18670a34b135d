/**
 * The change-notify state of one directory open, [MS-SMB2] 3.3.5.19 and [MS-FSA] 2.1.5.10:
 * set up by its first CHANGE_NOTIFY (whose CompletionFilter, WATCH_TREE and OutputBufferLength
 * stay for the life of the open, as on Windows), then the changes seen while no request waits,
 * and the requests waiting (answered in order).
 */
import { Status } from '../../smb2/status.js';
import { NotifyAction, encodeNotifyInformation, notifyEntrySize, type NotifyChange } from '../../smb2/commands/change-notify.js';

/** How a CHANGE_NOTIFY ends: OK with FILE_NOTIFY_INFORMATION entries, or a status without them. */
export type NotifyOutcome = { status: typeof Status.SUCCESS; output: Buffer } | { status: number };

interface Waiting {
  outputBufferLength: number;
  settle(outcome: NotifyOutcome): void;
}

/** Bytes of queued changes over every watch of the server (NotifyLimits.maxQueuedBytesTotal). */
export interface QueueBudget {
  used: number;
  readonly max: () => number;
}

export interface DirectoryWatchOptions {
  filter: number;
  recursive: boolean;
  /** Bytes of changes kept while no request waits: past them the next request gets STATUS_NOTIFY_ENUM_DIR. */
  queueLimit: number;
  /** The open's descriptor: every watch of its tree is added beneath it. */
  fd: number;
  /** The directory's identity (device:inode), for delete-pending. */
  fileKey: string;
  /** Shared by every watch: past it a change overflows the watch instead of being queued. */
  budget?: QueueBudget;
}

export class DirectoryWatch {
  readonly filter: number;
  readonly recursive: boolean;
  readonly fd: number;
  readonly fileKey: string;
  /** inotify bits this watch needs (set by the hub). */
  mask = 0;
  /** The OLD_NAME of a directory rename of its tree, until its NEW_NAME (the hub's). */
  renaming?: string;
  /** The inotify watches of its tree: watch descriptor -> the directory's path beneath the watched one ('' itself, '\\' separators). */
  readonly dirs = new Map<number, string>();
  private readonly queueLimit: number;
  private readonly budget: QueueBudget;
  private queue: NotifyChange[] = [];
  private queuedBytes = 0;
  private overflowed = false;
  /** A status every request gets from now on (DELETE_PENDING), or null. */
  private final: number | null = null;
  private readonly waiting: Waiting[] = [];

  constructor(o: DirectoryWatchOptions) {
    this.filter = o.filter;
    this.recursive = o.recursive;
    this.fd = o.fd;
    this.fileKey = o.fileKey;
    this.queueLimit = o.queueLimit;
    this.budget = o.budget ?? { used: 0, max: () => Infinity };
  }

  /** Requests waiting now. */
  get pending(): number {
    return this.waiting.length;
  }

  /**
   * A new request: its outcome at once when changes (or an overflow) are queued, else null
   * and `settle` is called later (a change, cancel, close).
   */
  request(outputBufferLength: number, settle: (o: NotifyOutcome) => void): NotifyOutcome | null {
    if (this.final !== null) return { status: this.final };
    if (this.overflowed || this.queue.length > 0) return this.drain(outputBufferLength);
    this.waiting.push({ outputBufferLength, settle });
    return null;
  }

  /** The request that `settle` belongs to was cancelled: it stops waiting (its caller answers CANCELLED). */
  forget(settle: (o: NotifyOutcome) => void): void {
    const at = this.waiting.findIndex((w) => w.settle === settle);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /**
   * One change. Identical consecutive changes are one; past the queue limit the queue is dropped
   * for STATUS_NOTIFY_ENUM_DIR. A waiting request is answered at once, except after an
   * OLD_NAME, whose NEW_NAME must go in the same response.
   */
  add(change: NotifyChange): void {
    if (!this.overflowed) {
      const last = this.queue[this.queue.length - 1];
      if (!last || last.action !== change.action || last.name !== change.name) {
        const size = notifyEntrySize(change);
        if (this.queuedBytes + size > this.queueLimit || this.budget.used + size > this.budget.max()) {
          this.overflow();
        } else {
          this.queue.push(change);
          this.queuedBytes += size;
          this.budget.used += size;
        }
      }
    }
    if (this.waiting.length > 0 && change.action !== NotifyAction.RENAMED_OLD_NAME) {
      const first = this.waiting.shift()!;
      first.settle(this.drain(first.outputBufferLength));
    }
  }

  /** Changes were lost (inotify queue overflow, too many watches): the next request gets STATUS_NOTIFY_ENUM_DIR. */
  overflow(): void {
    this.overflowed = true;
    this.release();
    if (this.waiting.length > 0) {
      const first = this.waiting.shift()!;
      first.settle(this.drain(first.outputBufferLength));
    }
  }

  /** Every waiting request ends with `status`; with `sticky`, later ones too (the directory is delete-pending). */
  endAll(status: number, sticky = false): void {
    if (sticky) this.final = status;
    for (const w of this.waiting.splice(0)) w.settle({ status });
  }

  /** The open is gone: its queued bytes go back to the budget. */
  dispose(): void {
    this.release();
  }

  private release(): void {
    this.budget.used -= this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
  }

  private drain(outputBufferLength: number): NotifyOutcome {
    const changes = this.queue;
    const fits = !this.overflowed && this.queuedBytes <= outputBufferLength;
    this.release();
    this.overflowed = false;
    if (!fits) return { status: Status.NOTIFY_ENUM_DIR };
    return { status: Status.SUCCESS, output: encodeNotifyInformation(changes) };
  }
}
