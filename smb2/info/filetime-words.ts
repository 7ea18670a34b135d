/**
 * FILETIME ([MS-DTYP] 2.3.3: 100 ns intervals since 1601-01-01 UTC) as two 32-bit words, from
 * Unix seconds and nanoseconds, in plain number arithmetic: a directory listing converts four
 * times per entry and bigint arithmetic was most of its cost. fileTimeFromNs is the bigint
 * reference (the unit tests compare the two).
 */

/** Seconds between 1601-01-01 and 1970-01-01. */
const EPOCH_DIFFERENCE_SECONDS = 11_644_473_600;
const TICKS_PER_SECOND = 10_000_000;
const NS_PER_TICK = 100;
const TWO_20 = 0x10_0000;
const TWO_12 = 0x1000;
const TWO_32 = 0x1_0000_0000;
/** Seconds since 1601 at or above which the result is clamped (about the year 36,000; fits 64 bits). */
const MAX_SECONDS = 2 ** 40 - 1;

/**
 * Writes the FILETIME of (sec, nsec) as low, high words at words[slot], words[slot + 1].
 * Times before 1601 clamp to 0 (as fileTimeFromNs); nsec is 0..999,999,999.
 */
export function setFileTimeWords(words: Uint32Array, slot: number, sec: number, nsec: number): void {
  const s = Math.min(sec + EPOCH_DIFFERENCE_SECONDS, MAX_SECONDS);
  if (s < 0) {
    words[slot] = 0;
    words[slot + 1] = 0;
    return;
  }
  const ticks = Math.floor(nsec / NS_PER_TICK);
  // s * 10^7 passes 2^53, so split s = sh * 2^20 + sl and sh * 10^7 = ah * 2^12 + al:
  // s * 10^7 + ticks = ah * 2^32 + (al * 2^20 + sl * 10^7 + ticks), every term exact.
  const sh = Math.floor(s / TWO_20);
  const sl = s - sh * TWO_20;
  const a = sh * TICKS_PER_SECOND;
  const ah = Math.floor(a / TWO_12);
  const al = a - ah * TWO_12;
  const low = al * TWO_20 + sl * TICKS_PER_SECOND + ticks;
  const carry = Math.floor(low / TWO_32);
  words[slot] = low - carry * TWO_32;
  words[slot + 1] = ah + carry;
}

/** A u64 (FILETIME, file id) as low, high words at words[slot], words[slot + 1]. */
export function setU64Words(words: Uint32Array, slot: number, value: bigint): void {
  words[slot] = Number(value & 0xffff_ffffn);
  words[slot + 1] = Number((value >> 32n) & 0xffff_ffffn);
}
