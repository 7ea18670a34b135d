/**
 * RLIMIT_MEMLOCK for SMB Direct: every memory region the server registers (cache slabs,
 * send/receive pools, bounce pages) is pinned and counted against it unless the process has
 * CAP_IPC_LOCK, and a normal user gets 8 MiB. Limits survive setuid(), so `serve` raises the
 * limit while it is still root, before it drops to `user`; slabs registered later (the cache
 * grows on demand) then still fit.
 */
import { readFileSync } from 'node:fs';
import type { FsRlimit } from '../native/fs.js';

/** The process's RLIMIT_MEMLOCK, from the spliced_fs addon (Node has no setrlimit). */
export interface MemlockLimit {
  get(): FsRlimit;
  set(soft: number, hard: number): void;
}

/** Room beyond the cache: SMB Direct's registered send/receive buffers and bounce pages. */
export const MEMLOCK_MARGIN_BYTES = 256 * 1024 * 1024;

/** What SMB Direct may pin at most: the page cache plus the margin. */
export function memlockTarget(cacheBytes: number): number {
  return cacheBytes + MEMLOCK_MARGIN_BYTES;
}

export type MemlockOutcome =
  | { ok: true; limit: number; raised: boolean }
  | { ok: false; limit: number; line: string };

function mib(bytes: number | undefined): string {
  if (bytes === undefined) return 'unknown';
  return bytes === Infinity ? 'unlimited' : `${Math.floor(bytes / (1024 * 1024))} MiB`;
}

/** The one line to print when registration may hit the limit; the listener's ENOMEM error says the same. */
export function memlockAdvice(limit: number | undefined, target: number): string {
  return (
    `RLIMIT_MEMLOCK is ${mib(limit)} but SMB Direct registers up to ${mib(target)} (cache size + ${mib(MEMLOCK_MARGIN_BYTES)}): ` +
    'raise it (ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit) or start spliced as root'
  );
}

/**
 * Raise the soft limit to `target`, and the hard limit too when allowed (root with
 * CAP_SYS_RESOURCE). Never lowers a limit. When the hard limit stays below the target the
 * soft limit goes as high as it can and the outcome carries the one line of advice.
 */
export function raiseMemlock(limit: MemlockLimit, target: number): MemlockOutcome {
  const now = limit.get();
  if (now.soft >= target) return { ok: true, limit: now.soft, raised: false };
  if (now.hard >= target) {
    limit.set(target, now.hard);
    return { ok: true, limit: target, raised: true };
  }
  try {
    limit.set(target, target);
    return { ok: true, limit: target, raised: true };
  } catch {
    // EPERM: not root, or root without CAP_SYS_RESOURCE (a container). Take what the hard limit allows.
  }
  if (now.soft < now.hard) limit.set(now.hard, now.hard);
  return { ok: false, limit: now.hard, line: memlockAdvice(now.hard, target) };
}

/** Capability numbers from linux/capability.h. */
export const CAP_NET_BIND_SERVICE = 10;
export const CAP_IPC_LOCK = 14;

/** Whether this process's effective set (CapEff in /proc/self/status) holds the capability. */
export function hasCapability(cap: number, statusText?: string): boolean {
  let text = statusText;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/status', 'utf8');
    } catch {
      return false;
    }
  }
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return m ? (BigInt(`0x${m[1]}`) & (1n << BigInt(cap))) !== 0n : false;
}

/** CAP_IPC_LOCK: then no limit applies to pinning. */
export function hasIpcLockCapability(statusText?: string): boolean {
  return hasCapability(CAP_IPC_LOCK, statusText);
}
