import type { Page } from './page.js';
import type { PageArena } from './page-arena.js';
import { PAGE_SIZE, PageFlag } from './page-flags.js';

/**
 * Which bytes of a write-behind page the client wrote: one bit per byte. Writeback writes
 * only these, never the rest of a page that may be stale (changed on disk beside us).
 */
export type DirtyBytes = Uint8Array;

/** Tag the page DIRTY and remember that bytes [from, to) of it are ours. */
export function markDirty(arena: PageArena, page: Page, from = 0, to = PAGE_SIZE): void {
  let bits = arena.dirtyBytes(page);
  if (bits === null) arena.setDirtyBytes(page, (bits = new Uint8Array(PAGE_SIZE / 8)));
  setBits(bits, from, to);
  arena.setFlag(page, PageFlag.DIRTY);
}

/** Take the page's dirty bytes for writeback; the page starts a new set (a store during the I/O adds to it). */
export function takeDirtyBytes(arena: PageArena, page: Page): DirtyBytes {
  const bits = arena.dirtyBytes(page) ?? new Uint8Array(PAGE_SIZE / 8).fill(0xff);
  arena.setDirtyBytes(page, null);
  return bits;
}

/** Put taken bytes back after a failed writeback. */
export function restoreDirtyBytes(arena: PageArena, page: Page, taken: DirtyBytes): void {
  let bits = arena.dirtyBytes(page);
  if (bits === null) arena.setDirtyBytes(page, (bits = new Uint8Array(PAGE_SIZE / 8)));
  for (let k = 0; k < bits.length; k++) bits[k] |= taken[k];
}

/** A copy-on-write replacement carries the set. */
export function copyDirtyBytes(arena: PageArena, from: Page, to: Page): void {
  const bits = arena.dirtyBytes(from);
  arena.setDirtyBytes(to, bits ? Uint8Array.from(bits) : null);
}

/** The dirty byte ranges as [start, end) pairs within the page, in order. Whole bytes of the set are stepped over at once. */
export function dirtyRanges(bits: DirtyBytes): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  let start = -1;
  const edge = (byte: number, set: boolean): void => {
    if (set && start < 0) start = byte;
    else if (!set && start >= 0) {
      ranges.push([start, byte]);
      start = -1;
    }
  };
  for (let k = 0; k < bits.length; k++) {
    const eight = bits[k];
    if (eight === 0 || eight === 0xff) edge(k * 8, eight === 0xff);
    else for (let b = 0; b < 8; b++) edge(k * 8 + b, (eight & (1 << b)) !== 0);
  }
  edge(PAGE_SIZE, false);
  return ranges;
}

function setBits(bits: DirtyBytes, from: number, to: number): void {
  let byte = from;
  while (byte < to && byte & 7) bits[byte >> 3] |= 1 << (byte++ & 7);
  const wholeEnd = to & ~7;
  if (byte < wholeEnd) {
    bits.fill(0xff, byte >> 3, wholeEnd >> 3);
    byte = wholeEnd;
  }
  while (byte < to) bits[byte >> 3] |= 1 << (byte++ & 7);
}
