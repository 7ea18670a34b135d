/**
 * npm run fuzz -- --describe        (the corpus in words)
 * npm run fuzz -- --shrink-corpus   (replay, confirm and shrink every corpus entry again)
 * npm run fuzz -- [--seed N] [--inputs N] [--batch N] [--window N] [--max-seconds N] [--pre-ratio F] [--answer-ms N] [--stall-ms N] [--no-save]
 * Grammar-aware SMB2 fuzzing of an in-process server; prints progress and a summary, saves
 * confirmed findings to test/fuzz/corpus/, and exits 1 when it found anything.
 */
import { parseArgs } from 'node:util';
import { runCampaign, DEFAULT_CAMPAIGN, type CampaignSummary } from '../support/fuzz/campaign.js';
import { CORPUS_DIR, loadCorpus, entryInputs } from '../support/fuzz/corpus.js';
import { describeInputs } from '../support/fuzz/describe.js';
import { reshrinkCorpus } from '../support/fuzz/reshrink.js';

function options(): Parameters<typeof runCampaign>[0] {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      inputs: { type: 'string' },
      batch: { type: 'string' },
      window: { type: 'string' },
      'pre-ratio': { type: 'string' },
      'answer-ms': { type: 'string' },
      'stall-ms': { type: 'string' },
      'progress-ms': { type: 'string' },
      'max-seconds': { type: 'string' },
      'no-save': { type: 'boolean' },
      describe: { type: 'boolean' },
      'shrink-corpus': { type: 'boolean' },
    },
  });
  const num = (v: string | undefined, d: number): number => (v === undefined ? d : Number(v));
  const d = DEFAULT_CAMPAIGN;
  return {
    ...d,
    seed: num(values.seed, d.seed),
    inputs: num(values.inputs, d.inputs),
    batch: num(values.batch, d.batch),
    window: num(values.window, d.window),
    preRatio: num(values['pre-ratio'], d.preRatio),
    bounds: { ...d.bounds, answerMs: num(values['answer-ms'], d.bounds.answerMs), stallMs: num(values['stall-ms'], d.bounds.stallMs) },
    progressMs: num(values['progress-ms'], d.progressMs),
    maxSeconds: num(values['max-seconds'], d.maxSeconds),
    corpusDir: values['no-save'] ? null : CORPUS_DIR,
    log: (line) => console.log(line),
  };
}

function printSummary(s: CampaignSummary): void {
  console.log(`[fuzz] done: ${s.inputs} inputs in ${s.cases} connections, ${s.seconds.toFixed(1)} s (${s.replaySeconds} s confirming findings), ${s.inputsPerSecond} inputs/s fuzzing`);
  console.log(`[fuzz] memory: rss ${s.memory.rssStartMb} -> ${s.memory.rssEndMb} MB (peak ${s.memory.rssPeakMb}), heap ${s.memory.heapStartMb} -> ${s.memory.heapEndMb} MB`);
  if (s.shutdownTimeouts) console.log(`[fuzz] ${s.shutdownTimeouts} server shutdowns did not finish within 3 s (server.close() waits on leaked pins)`);
  if (s.giantValuesDisabled) console.log('[fuzz] 64-bit values >= 2^32 were disabled after repeated stalls');
  if (s.findings.length === 0) console.log('[fuzz] no crash, hang, stall or leaked pin');
  for (const f of s.findings) {
    console.log(`[fuzz] ${f.confirmed ? 'CONFIRMED' : 'unconfirmed'} ${f.signature} ×${f.count}: ${f.detail.split('\n')[0]}${f.file ? ` -> ${f.file}` : ''}`);
  }
}

/** --describe: list the corpus entries in words and exit. */
async function describeCorpus(): Promise<void> {
  for (const { file, entry } of await loadCorpus()) {
    console.log(`${file}  ${entry.phase}  ${entry.detail}`);
    for (const line of describeInputs(entryInputs(entry))) console.log(`    ${line}`);
  }
}

if (process.argv.includes('--describe')) {
  await describeCorpus();
  process.exit(0);
}
if (process.argv.includes('--shrink-corpus')) {
  await reshrinkCorpus((line) => console.log(`[fuzz] ${line}`));
  process.exit(0);
}
const o = options();
process.on('uncaughtException', (err) => {
  console.error('[fuzz] uncaught exception (crash):', err);
  process.exitCode = 2;
});
console.log(`[fuzz] seed ${o.seed}, ${o.inputs} inputs, ${o.batch} per connection`);
const summary = await runCampaign(o);
printSummary(summary);
process.exit(process.exitCode ?? (summary.findings.some((f) => f.confirmed) ? 1 : 0));
