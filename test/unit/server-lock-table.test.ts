// The lock table on its own: FileRanges' indexed range check against a brute-force reading of
// [MS-FSA] 2.1.4.10 on random ranges (a model test), the limits on what one connection, one file
// and the server may hold, and that nothing is left behind by closed opens or cancelled waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FileRanges, type HeldRange } from '../../server/byte-ranges.js';
import { LockTable, type LockOwner } from '../../server/lock-table.js';
import { LockFlag } from '../../smb2/constants.js';
import { Status, SmbStatusError } from '../../smb2/status.js';

/** The spec's overlap test, with LastByteOffset = offset + length - 1 and the {0, 0} exception. */
function specOverlap(o1: bigint, l1: bigint, o2: bigint, l2: bigint): boolean {
  if ((o1 === 0n && l1 === 0n) || (o2 === 0n && l2 === 0n)) return false;
  return o1 <= o2 + l2 - 1n && o1 + l1 - 1n >= o2;
}

function oracle(held: HeldRange[], owner: object, o: bigint, l: bigint, exclusive: boolean, lockIntent: boolean): boolean {
  return held.some((h) => {
    if (!specOverlap(o, l, h.start, h.end - h.start)) return false;
    return h.exclusive ? h.owner !== owner || (exclusive && lockIntent) : exclusive;
  });
}

/** A small deterministic generator (xorshift32). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('FileRanges.conflicts agrees with the spec on random locks, accesses, removals and zero lengths', () => {
  const random = rng(1234567);
  const owners = [{}, {}, {}];
  for (let round = 0; round < 60; round++) {
    const file = new FileRanges('k');
    const held: HeldRange[] = [];
    const pick = (n: number) => Math.floor(random() * n);
    // Small coordinates so ranges often touch; sometimes huge ones near 2^64.
    const coord = () => (random() < 0.1 ? (1n << 64n) - BigInt(pick(4)) - 1n : BigInt(pick(40)));
    for (let step = 0; step < 80; step++) {
      const owner = owners[pick(owners.length)];
      const start = coord();
      const length = random() < 0.25 ? 0n : BigInt(pick(12));
      const end = start + length > 1n << 64n ? 1n << 64n : start + length;
      const exclusive = random() < 0.5;
      const lockIntent = random() < 0.5;
      assert.equal(file.conflicts(owner, start, end, exclusive, lockIntent), oracle(held, owner, start, end - start, exclusive, lockIntent), `round ${round} step ${step}`);
      if (random() < 0.5) {
        const range = { owner, start, end, exclusive };
        file.add(range);
        held.push(range);
      } else if (held.length && random() < 0.5) {
        const [gone] = held.splice(pick(held.length), 1);
        assert.ok(file.drop(gone));
      }
      assert.equal(file.size, held.length);
    }
  }
});

const el = (offset: number, length: number, flags: number) => ({ offset: BigInt(offset), length: BigInt(length), flags });
const statusOf = (fn: () => void): number => {
  try {
    fn();
    return Status.SUCCESS;
  } catch (err) {
    if (err instanceof SmbStatusError) return err.status;
    throw err;
  }
};
const opener = (fileKey: string): LockOwner => ({ fileKey });

test('a connection, a file and the server hold at most their limits; what a closed open held counts again', () => {
  const table = new LockTable({ perConnection: 3, perFile: 4, total: 5 });
  const connA = {};
  const connB = {};
  const a = opener('f1');
  const b = opener('f1');
  const la = table.of(a, connA);
  const lb = table.of(b, connB);
  const x = LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY;
  assert.equal(statusOf(() => table.lock(a, la, [el(0, 1, x), el(1, 1, x), el(2, 1, x), el(3, 1, x)])), Status.INSUFFICIENT_RESOURCES);
  assert.equal(table.count, 0, 'the refused request took nothing');
  table.lock(a, la, [el(0, 1, x), el(1, 1, x), el(2, 1, x)]);
  assert.equal(statusOf(() => table.lock(a, la, [el(3, 1, x)])), Status.INSUFFICIENT_RESOURCES, 'per connection');
  table.lock(b, lb, [el(10, 1, x)]);
  assert.equal(statusOf(() => table.lock(b, lb, [el(11, 1, x)])), Status.INSUFFICIENT_RESOURCES, 'per file');
  const c = opener('f2');
  const lc = table.of(c, connB);
  table.lock(c, lc, [el(0, 1, x)]);
  assert.equal(statusOf(() => table.lock(c, lc, [el(1, 1, x)])), Status.INSUFFICIENT_RESOURCES, 'over the server');
  table.releaseAll('f1', a);
  assert.equal(table.count, 2);
  const a2 = opener('f1');
  table.lock(a2, table.of(a2, connA), [el(0, 1, x), el(1, 1, x)]);
  assert.equal(table.count, 4, 'the connection, the file and the server got back what the closed open held');
});

test('a file entry lives as long as one of its opens; a cancelled wait leaves no waiter behind', async () => {
  const table = new LockTable();
  const a = opener('f');
  const b = opener('f');
  const la = table.of(a, {});
  table.of(b, {});
  assert.equal(table.fileCount, 1);
  for (let i = 0; i < 100; i++) {
    const abort = new AbortController();
    const wait = table.changed(la, abort.signal);
    abort.abort();
    await wait;
  }
  assert.equal(la.file.waiters.size, 0);
  let woke = false;
  const wait = table.changed(la, new AbortController().signal).then(() => (woke = true));
  table.releaseAll('f', b);
  await wait;
  assert.ok(woke, 'a close wakes the waiters of the file');
  assert.equal(table.fileCount, 1);
  table.releaseAll('f', a);
  assert.equal(table.fileCount, 0);
  assert.equal(a.byteRangeLocks, undefined);
});
