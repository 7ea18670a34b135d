import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpus, entryInputs } from '../support/fuzz/corpus.js';
import { runCase, DEFAULT_BOUNDS } from '../support/fuzz/runner.js';
import { startTarget } from '../support/fuzz/target.js';
import { StallMonitor } from '../support/fuzz/probes.js';

// Every input the fuzzer once found (test/fuzz/corpus/) is replayed on a fresh server and
// must now be answered or refused without a crash, stall, hang, lingering connection or leaked pin.
const corpus = await loadCorpus();
const monitor = new StallMonitor();

for (const { file, entry } of corpus) {
  test(`fuzz corpus ${file} (${entry.signature})`, { timeout: 60_000 }, async () => {
    const target = await startTarget();
    try {
      const result = await runCase(target, { phase: entry.phase, scratchName: entry.scratchName, window: entry.window, source: { kind: 'replay', inputs: entryInputs(entry) } }, DEFAULT_BOUNDS, monitor);
      assert.deepEqual(result.findings.map((f) => `${f.kind} after input ${f.input}: ${f.detail.split('\n')[0]}`), [], `${file} was found as: ${entry.detail}`);
    } finally {
      await target.close();
    }
  });
}

test('the fuzz corpus loads', () => {
  for (const { file, entry } of corpus) assert.ok(entry.inputs.length > 0, file);
});
