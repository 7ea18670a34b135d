import { LockFlag } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import type { LockElement } from '../smb2/commands/lock.js';
import { FileRanges, type HeldRange } from './byte-ranges.js';

/** How many locks may be held at once; a LOCK past them gets STATUS_INSUFFICIENT_RESOURCES. */
export interface LockLimits {
  /** By all the opens of one connection. */
  perConnection: number;
  /** On one file, by every open. */
  perFile: number;
  /** Over the whole server. */
  total: number;
}

export const DEFAULT_LOCK_LIMITS: LockLimits = { perConnection: 2048, perFile: 8192, total: 65536 };

/** Locks held by one connection's opens. */
interface LockAccount {
  held: number;
}

/** 2^64: one past the last byte a lock may cover. */
const RANGE_END = 1n << 64n;

/** Lock sequence buckets, [MS-SMB2] 3.3.1.10 Open.LockSequenceArray (indices 1..64). */
const SEQUENCE_BUCKETS = 64;
const NO_SEQUENCE = 0xff;

/** What an Open holds of the lock table: Open.byteRangeLocks (state.ts). */
export interface OpenLocks {
  readonly file: FileRanges;
  readonly account: LockAccount;
  /** Open.LockSequenceArray: the last LockSequenceNumber per index, NO_SEQUENCE when not valid. */
  sequences?: Uint8Array;
}

/** The part of an Open the lock table uses (structural: state.ts imports this module). */
export interface LockOwner {
  fileKey: string;
  byteRangeLocks?: OpenLocks;
}

/** The half-open range of an element, or INVALID_LOCK_RANGE past the 64-bit space, [MS-FSA] 2.1.5.8. */
function rangeOf(e: LockElement): { start: bigint; end: bigint } {
  const end = e.offset + e.length;
  if (end > RANGE_END) throw new SmbStatusError(Status.INVALID_LOCK_RANGE);
  return { start: e.offset, end };
}

/**
 * The server's byte-range locks, [MS-SMB2] 3.3.5.14 and [MS-FSA] 2.1.5.8/2.1.5.9: one FileRanges
 * per file that some open has touched (locked, read or written), reached from the Open itself so
 * READ and WRITE never look a file up. Bounded by LockLimits.
 */
export class LockTable {
  private readonly files = new Map<string, FileRanges>();
  private readonly accounts = new WeakMap<object, LockAccount>();
  private held = 0;

  constructor(readonly limits: LockLimits = DEFAULT_LOCK_LIMITS) {}

  /** Locks held over the server (accounting, tests). */
  get count(): number {
    return this.held;
  }

  /** Files with an entry: those some open has locked, read or written and not yet closed. */
  get fileCount(): number {
    return this.files.size;
  }

  /** The open's view of its file's locks, made on first use; `conn` is the connection the open belongs to. */
  of(open: LockOwner, conn: object): OpenLocks {
    const mine = open.byteRangeLocks;
    if (mine) return mine;
    let file = this.files.get(open.fileKey);
    if (!file) this.files.set(open.fileKey, (file = new FileRanges(open.fileKey)));
    file.users++;
    let account = this.accounts.get(conn);
    if (!account) this.accounts.set(conn, (account = { held: 0 }));
    return (open.byteRangeLocks = { file, account });
  }

  /**
   * Resolves the next time a lock of the open's file is released (unlock, or an open closed), or
   * when `signal` aborts; an aborted wait leaves nothing behind.
   */
  changed(locks: OpenLocks, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        locks.file.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      locks.file.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * The lock elements of one LOCK request ([MS-SMB2] 3.3.5.14.2), all or none: a failing element
   * undoes the ones before it. Flags are checked by the handler first.
   */
  lock(owner: LockOwner, locks: OpenLocks, elements: readonly LockElement[]): void {
    const taken: HeldRange[] = [];
    try {
      for (const e of elements) {
        const { start, end } = rangeOf(e);
        const exclusive = (e.flags & LockFlag.EXCLUSIVE) !== 0;
        if (locks.file.conflicts(owner, start, end, exclusive, true)) throw new SmbStatusError(Status.LOCK_NOT_GRANTED);
        this.reserve(locks);
        const range = { owner, start, end, exclusive };
        locks.file.add(range);
        taken.push(range);
      }
    } catch (err) {
      for (const range of taken) if (locks.file.drop(range)) this.released(locks, 1);
      throw err;
    }
  }

  /**
   * The unlock elements of one LOCK request ([MS-SMB2] 3.3.5.14.1), in order: the first that
   * fails stops the rest, and the ones before it stay unlocked.
   */
  unlock(owner: LockOwner, locks: OpenLocks, elements: readonly LockElement[]): void {
    let freed = 0;
    try {
      for (const e of elements) {
        if (e.flags !== LockFlag.UNLOCK) throw new SmbStatusError(Status.INVALID_PARAMETER);
        const { start, end } = rangeOf(e);
        if (!locks.file.unlock(owner, start, end)) throw new SmbStatusError(Status.RANGE_NOT_LOCKED);
        this.released(locks, 1);
        freed++;
      }
    } finally {
      if (freed) locks.file.wake();
    }
  }

  /**
   * Whether [offset, offset + length) is open to a READ (write false) or WRITE of `owner`
   * ([MS-FSA] 2.1.4.10; a zero-length one always is, 2.1.5.2/2.1.5.3). After the open's first
   * call it costs two property reads while its file has no locks.
   */
  accessible(owner: LockOwner, conn: object, offset: number, length: number, write: boolean): boolean {
    const locks = owner.byteRangeLocks ?? this.of(owner, conn);
    if (locks.file.size === 0 || length === 0) return true;
    const start = BigInt(offset);
    return !locks.file.conflicts(owner, start, start + BigInt(length), write, false);
  }

  /** Last-known LockSequenceNumber of a bucket ([MS-SMB2] 3.3.5.14), or undefined when not valid. */
  sequence(locks: OpenLocks, index: number): number | undefined {
    if (index < 1 || index > SEQUENCE_BUCKETS || !locks.sequences) return undefined;
    const v = locks.sequences[index - 1];
    return v === NO_SEQUENCE ? undefined : v;
  }

  /** Set (a number) or invalidate (undefined) a bucket of Open.LockSequenceArray. */
  setSequence(locks: OpenLocks, index: number, value: number | undefined): void {
    if (index < 1 || index > SEQUENCE_BUCKETS) return;
    if (!locks.sequences) {
      if (value === undefined) return;
      locks.sequences = new Uint8Array(SEQUENCE_BUCKETS).fill(NO_SEQUENCE);
    }
    locks.sequences[index - 1] = value ?? NO_SEQUENCE;
  }

  /** The open closes: its locks go, waiters on the file try again, and the file's entry goes with its last open. */
  releaseAll(_file: string, owner: LockOwner): void {
    const locks = owner.byteRangeLocks;
    if (!locks) return;
    owner.byteRangeLocks = undefined;
    this.released(locks, locks.file.removeOwner(owner));
    locks.file.wake(); // also a waiter whose own open closed
    if (--locks.file.users === 0) this.files.delete(locks.file.key);
  }

  private reserve(locks: OpenLocks): void {
    const { perConnection, perFile, total } = this.limits;
    if (locks.account.held >= perConnection || locks.file.size >= perFile || this.held >= total) {
      throw new SmbStatusError(Status.INSUFFICIENT_RESOURCES);
    }
    locks.account.held++;
    this.held++;
  }

  private released(locks: OpenLocks, n: number): void {
    locks.account.held -= n;
    this.held -= n;
  }
}
