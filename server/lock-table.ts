import { LockFlag } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import type { LockElement } from '../smb2/commands/lock.js';

interface HeldLock {
  owner: object;
  offset: bigint;
  length: bigint;
  exclusive: boolean;
}

function overlaps(a: { offset: bigint; length: bigint }, b: { offset: bigint; length: bigint }): boolean {
  if (a.length === 0n || b.length === 0n) return false;
  return a.offset < b.offset + b.length && b.offset < a.offset + a.length;
}

/**
 * Byte-range locks per file, [MS-SMB2] 3.3.5.14 and [MS-FSA] 2.1.5.7: advisory (READ and WRITE
 * do not check them). The owner is the Open. A blocking request waits with changed() and
 * tries again (handlers/lock.ts).
 */
export class LockTable {
  private readonly byFile = new Map<string, HeldLock[]>();
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Resolves the next time a lock of `file` is released (unlock, or its open closed). */
  changed(file: string): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(file);
      if (!set) this.waiters.set(file, (set = new Set()));
      set.add(resolve);
    });
  }

  private wake(file: string): void {
    const set = this.waiters.get(file);
    if (!set) return;
    this.waiters.delete(file);
    for (const w of set) w();
  }

  apply(file: string, owner: object, elements: LockElement[]): void {
    const held = this.byFile.get(file) ?? [];
    const unlocking = (elements[0].flags & LockFlag.UNLOCK) !== 0;
    const next = [...held];
    for (const e of elements) {
      if (unlocking !== ((e.flags & LockFlag.UNLOCK) !== 0)) throw new SmbStatusError(Status.INVALID_PARAMETER);
      if (unlocking) {
        const i = next.findIndex((l) => l.owner === owner && l.offset === e.offset && l.length === e.length);
        if (i < 0) throw new SmbStatusError(Status.RANGE_NOT_LOCKED);
        next.splice(i, 1);
        continue;
      }
      const exclusive = (e.flags & LockFlag.EXCLUSIVE) !== 0;
      if (e.offset + e.length > 0xffffffffffffffffn) throw new SmbStatusError(Status.INVALID_PARAMETER);
      const conflict = next.some((l) => overlaps(l, e) && (exclusive || l.exclusive) && !(l.owner === owner && !l.exclusive && !exclusive));
      if (conflict) throw new SmbStatusError(Status.LOCK_NOT_GRANTED);
      next.push({ owner, offset: e.offset, length: e.length, exclusive });
    }
    if (next.length) this.byFile.set(file, next);
    else this.byFile.delete(file);
    if (unlocking) this.wake(file);
  }

  releaseAll(file: string, owner: object): void {
    const held = this.byFile.get(file);
    if (held) {
      const rest = held.filter((l) => l.owner !== owner);
      if (rest.length) this.byFile.set(file, rest);
      else this.byFile.delete(file);
    }
    this.wake(file); // also a waiter whose own open closed
  }
}
