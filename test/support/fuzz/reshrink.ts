/** Shrink the corpus entries again (after the shrinker improved, or to check they still reproduce). */
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { loadCorpus, entryInputs, recordInputs, saveEntry, CORPUS_DIR } from './corpus.js';
import { shrink } from './shrink.js';
import { describeInputs } from './describe.js';
import { DEFAULT_BOUNDS } from './runner.js';
import { StallMonitor } from './probes.js';

export async function reshrinkCorpus(log: (line: string) => void, dir = CORPUS_DIR): Promise<void> {
  const monitor = new StallMonitor();
  for (const { file, entry } of await loadCorpus(dir)) {
    const inputs = entryInputs(entry);
    const smaller = await shrink({ kind: entry.kind, phase: entry.phase, scratchName: entry.scratchName, window: entry.window, inputs, bounds: DEFAULT_BOUNDS, monitor });
    if (!smaller) {
      log(`${file}: no ${entry.kind} any more`);
      continue;
    }
    if (smaller.length === inputs.length) {
      log(`${file}: reproduces, ${inputs.length} input(s)`);
      continue;
    }
    const saved = await saveEntry(dir, { ...entry, shape: describeInputs(smaller), inputs: recordInputs(smaller) });
    if (path.basename(saved) !== file) await unlink(path.join(dir, file));
    log(`${file}: ${inputs.length} -> ${smaller.length} input(s), now ${path.basename(saved)}`);
  }
  monitor.stop();
}
