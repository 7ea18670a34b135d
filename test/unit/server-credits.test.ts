// The credit window ([MS-SMB2] 3.3.1.1, 3.3.5.2.3) against a plain model: every id granted may be
// used once, in any order, CreditCharge consecutive ids at a time. Random sequences mix the
// in-order case (the window's fast path) with out-of-order, replayed and ungranted ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreditWindow } from '../../server/credits.js';

/** Granted ids and used ids as plain sets. */
class Model {
  granted = 1;
  used = new Set<number>();
  consume(first: number, charge: number): boolean {
    const count = Math.max(1, charge);
    for (let id = first; id < first + count; id++) if (id >= this.granted || this.used.has(id)) return false;
    for (let id = first; id < first + count; id++) this.used.add(id);
    return true;
  }
}

/** A small deterministic generator, so a failure names its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('the credit window agrees with the model over random in-order, out-of-order and replayed ids', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = rng(seed);
    const w = new CreditWindow(64);
    const model = new Model();
    let next = 0;
    for (let step = 0; step < 300; step++) {
      const r = random();
      if (r < 0.3) {
        const n = w.grant(Math.floor(random() * 8));
        model.granted += n;
        continue;
      }
      const charge = random() < 0.8 ? 1 : 1 + Math.floor(random() * 4);
      const id = r < 0.75 ? next : Math.max(0, next + Math.floor(random() * 12) - 6);
      const expected = model.consume(id, charge);
      assert.equal(w.consume(BigInt(id), charge), expected, `seed ${seed} step ${step}: id ${id} charge ${charge}`);
      if (expected && id === next) next += Math.max(1, charge);
      assert.equal(w.outstanding, model.granted - model.used.size, `seed ${seed} step ${step}: outstanding`);
    }
  }
});

test('an id past 2^53 is refused', () => {
  const w = new CreditWindow(8);
  assert.equal(w.consume(2n ** 60n, 1), false);
  assert.equal(w.consume(0n, 1), true);
});
