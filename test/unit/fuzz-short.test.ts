import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCampaign, DEFAULT_CAMPAIGN } from '../support/fuzz/campaign.js';

// A short, fixed-seed run of the fuzzer (`npm run fuzz` runs 10^6 inputs), at most 1,500 inputs
// or 40 s on a loaded machine: every finding is
// replayed on a fresh server before it counts, so a stall caused by a loaded machine does not.
test('a short fuzzing run finds no crash, hang, stall or leaked pin', { timeout: 180_000 }, async () => {
  const lines: string[] = [];
  const summary = await runCampaign({ ...DEFAULT_CAMPAIGN, seed: 9, inputs: 1500, maxSeconds: 40, corpusDir: null, maxSignaturesPerKind: 1, log: (l) => lines.push(l) });
  console.log(`${summary.inputs} inputs in ${summary.cases} connections, ${summary.inputsPerSecond} inputs/s`);
  const confirmed = summary.findings.filter((f) => f.confirmed);
  assert.deepEqual(
    confirmed.map((f) => `${f.signature}: ${f.detail}`),
    [],
    `fuzz findings (replay the corpus, or run npm run fuzz -- --seed 9 --inputs 1500):\n${lines.join('\n')}`,
  );
});
