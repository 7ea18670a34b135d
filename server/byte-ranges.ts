/**
 * The byte-range locks of one file, [MS-FSA] 2.1.1.5 Stream.ByteRangeLockList, and the range
 * checks of [MS-FSA] 2.1.4.10. Ranges are half-open [start, end) with end up to 2^64; a
 * zero-length lock {x, 0} is [x, x), which overlaps exactly the ranges holding x as an inner
 * point (the spec's LastByteOffset = x - 1 arithmetic), and {0, 0} overlaps nothing.
 *
 * Kept sorted by start, with the running maximum of `end` (built lazily after a change), so a
 * range check is a binary search plus the overlapping candidates, and a file without locks costs
 * one length check.
 */

/** One granted lock, [MS-FSA] 2.1.1.5 ByteRangeLock. */
export interface HeldRange {
  /** The Open that holds it (OwnerOpen). */
  readonly owner: object;
  readonly start: bigint;
  readonly end: bigint;
  readonly exclusive: boolean;
}

/** Index of the first range whose start is >= `at` (or > `at` with `after`). */
function search(ranges: readonly HeldRange[], at: bigint, after: boolean): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = ranges[mid].start;
    if (s < at || (after && s === at)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class FileRanges {
  private readonly ranges: HeldRange[] = [];
  /** reach[i] = max end of ranges[0..i]; null after a change. */
  private reach: bigint[] | null = [];
  /** Opens that point at this list (Open.byteRangeLocks); the table drops it when none is left. */
  users = 0;
  /** Blocking LOCKs waiting for a change on this file. */
  readonly waiters = new Set<() => void>();

  constructor(readonly key: string) {}

  get size(): number {
    return this.ranges.length;
  }

  /**
   * Whether `owner` may access [start, end): [MS-FSA] 2.1.4.10 with the behaviour smbtorture's
   * smb2.lock checks on Windows and Samba. Another open's exclusive lock refuses everything;
   * an exclusive lock of the same open refuses only another exclusive lock; a shared lock
   * refuses every write and exclusive lock, its own open's included.
   */
  conflicts(owner: object, start: bigint, end: bigint, exclusive: boolean, lockIntent: boolean): boolean {
    const ranges = this.ranges;
    if (ranges.length === 0) return false;
    const reach = this.reach ?? this.buildReach();
    for (let j = search(ranges, end, false) - 1; j >= 0 && reach[j] > start; j--) {
      const held = ranges[j];
      if (held.end <= start) continue; // it starts before `end` (the search): it overlaps unless it ends by `start`
      if (held.exclusive ? held.owner !== owner || (exclusive && lockIntent) : exclusive) return true;
    }
    return false;
  }

  add(range: HeldRange): void {
    this.ranges.splice(search(this.ranges, range.start, true), 0, range);
    this.reach = null;
  }

  /** Remove this exact entry (a rollback). */
  drop(range: HeldRange): boolean {
    let i = search(this.ranges, range.start, false);
    while (i < this.ranges.length && this.ranges[i] !== range && this.ranges[i].start === range.start) i++;
    if (this.ranges[i] !== range) return false;
    this.ranges.splice(i, 1);
    this.reach = null;
    return true;
  }

  /**
   * The unlock of [MS-FSA] 2.1.5.9: a lock of `owner` with exactly this range, an exclusive one
   * before a shared one. Returns the removed entry, or undefined (RANGE_NOT_LOCKED).
   */
  unlock(owner: object, start: bigint, end: bigint): HeldRange | undefined {
    let found = -1;
    for (let i = search(this.ranges, start, false); i < this.ranges.length && this.ranges[i].start === start; i++) {
      const held = this.ranges[i];
      if (held.owner !== owner || held.end !== end) continue;
      found = i;
      if (held.exclusive) break;
    }
    if (found < 0) return undefined;
    const [removed] = this.ranges.splice(found, 1);
    this.reach = null;
    return removed;
  }

  /** Remove every lock of `owner` (its open closed); returns how many. */
  removeOwner(owner: object): number {
    let kept = 0;
    const ranges = this.ranges;
    for (let i = 0; i < ranges.length; i++) if (ranges[i].owner !== owner) ranges[kept++] = ranges[i];
    const removed = ranges.length - kept;
    if (removed) {
      ranges.length = kept;
      this.reach = null;
    }
    return removed;
  }

  /** Wake every blocking LOCK waiting on this file: they try again. */
  wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  private buildReach(): bigint[] {
    const reach = new Array<bigint>(this.ranges.length);
    let max = 0n;
    for (let i = 0; i < this.ranges.length; i++) {
      if (this.ranges[i].end > max) max = this.ranges[i].end;
      reach[i] = max;
    }
    this.reach = reach;
    return reach;
  }
}
