/**
 * FILETIME conversions: a FILETIME counts 100 ns intervals since 1601-01-01 UTC, [MS-DTYP] 2.3.3.
 * Results before 1601 clamp to 0, which the protocol reads as "no time".
 */

/** 100 ns intervals between 1601-01-01 and 1970-01-01. */
export const UNIX_EPOCH_AS_FILETIME = 116_444_736_000_000_000n;

const TICKS_PER_MS = 10_000n;
const NS_PER_TICK = 100n;

/** Milliseconds since 1970 (fractions allowed, as in Stats.mtimeMs) to FILETIME. */
export function fileTimeFromMs(ms: number): bigint {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  const whole = Math.floor(ms);
  // Split so the large part stays exact: ms * 10^4 overflows 2^53 for present-day times.
  const ticks = BigInt(whole) * TICKS_PER_MS + BigInt(Math.round((ms - whole) * 10_000));
  return clamp(ticks + UNIX_EPOCH_AS_FILETIME);
}

/** Nanoseconds since 1970 (BigIntStats.*Ns) to FILETIME, rounding down to the 100 ns tick. */
export function fileTimeFromNs(ns: bigint): bigint {
  let ticks = ns / NS_PER_TICK;
  if (ns < 0n && ns % NS_PER_TICK !== 0n) ticks -= 1n;
  return clamp(ticks + UNIX_EPOCH_AS_FILETIME);
}

/** FILETIME to milliseconds since 1970 (fractional below 1 ms), e.g. for fs.utimes. */
export function msFromFileTime(ft: bigint): number {
  const ticks = ft - UNIX_EPOCH_AS_FILETIME;
  const wholeMs = ticks / TICKS_PER_MS;
  const rest = ticks % TICKS_PER_MS;
  return Number(wholeMs) + Number(rest) / 10_000;
}

function clamp(ft: bigint): bigint {
  return ft < 0n ? 0n : ft;
}
