/**
 * `npm run bench`: spliced against a private Samba smbd, side by side in one run, one table.
 * Every row runs on both servers in alternating order for several rounds; the table shows
 * medians, the rounds' spread, server CPU per unit and the spliced/Samba ratio against the
 * row's goal (issue 12). The iperf3 loopback ceiling is measured in the same run, and the
 * server's resident memory is sampled while 8 clients read at once.
 *
 *   npm run bench                       the full table (about 10 minutes)
 *   npm run bench -- --quick            small sizes, short rounds (about 3 minutes)
 *   npm run bench -- --quick --guard    ... and fail on a gross regression against
 *                                       test/bench/quick-baseline.json (what CI runs)
 *   npm run bench -- --quick --record   ... and record this run's ratios as that baseline
 *   npm run bench -- --rows put,echo --rounds 3
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { progressBar } from '../../ops/progress.js';
import { iperf3Ceiling } from './lib/clients.js';
import { FULL, QUICK, prepareShare, rows, type Row, type Scale } from './lib/rows.js';
import { SambaSide, SplicedSide, type Side } from './lib/sides.js';
import { sambaAvailable } from './lib/samba.js';
import { measureRow, printTable, rateOf, type RowResult } from './lib/table.js';
import { checkGuard, recordBaseline } from './lib/guard.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    guard: { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    rows: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const MiB = 1024 * 1024;
/** Resident memory allowed above the page cache's own pages (issue 12). */
const MEMORY_ABOVE_CACHE_GOAL = 128 * MiB;
const BASELINE = join(import.meta.dirname, 'quick-baseline.json');

function selectedRows(all: Row[]): Row[] {
  if (!values.rows) return all;
  const keys = values.rows.split(',');
  const unknown = keys.filter((k) => !all.some((r) => r.key === k));
  if (unknown.length) throw new Error(`unknown rows ${unknown.join(', ')} (known: ${all.map((r) => r.key).join(', ')})`);
  return all.filter((r) => keys.includes(r.key));
}

async function measureAll(chosen: Row[], sides: Side[], scale: Scale): Promise<RowResult[]> {
  const bar = progressBar({ label: 'bench rows x rounds', total: chosen.length * scale.rounds, unit: 'items' });
  const results: RowResult[] = [];
  for (const row of chosen) results.push(await measureRow(row, sides, scale.rounds, () => bar.tick()));
  bar.done();
  return results;
}

interface Memory {
  peak: number;
  cache: number;
  samba: number;
}

function printSummary(results: RowResult[], scale: Scale, ceiling: number | null, memory: Memory | null): void {
  const byKey = new Map(results.map((r) => [r.row.key, r]));
  const cached = byKey.get('cached-read');
  const cold = byKey.get('cold-read');
  if (ceiling === null) console.log('iperf3 loopback ceiling: not measured (apt-get install iperf3)');
  else console.log(`iperf3 loopback ceiling, one stream: ${(ceiling / 1e9).toFixed(2)} GB/s`);
  if (cached && ceiling !== null) {
    const share = (rateOf(cached.figures.spliced) * 1e9) / ceiling;
    console.log(`cached read / ceiling: ${share.toFixed(2)} (goal >= 0.9: ${share >= 0.9 ? 'met' : 'NOT met'})`);
  }
  if (cached && cold) {
    const share = rateOf(cold.figures.spliced) / rateOf(cached.figures.spliced);
    console.log(`spliced cold read / cached read: ${share.toFixed(2)} (goal >= 0.8: ${share >= 0.8 ? 'met' : 'NOT met'})`);
  }
  if (memory) {
    const above = memory.peak - memory.cache;
    console.log(
      `memory under ${scale.clients} clients: spliced peak resident ${Math.round(memory.peak / MiB)} MiB, of which the page cache's ` +
        `carved pages ${Math.round(memory.cache / MiB)} MiB (cache size ${Math.round(scale.cacheBytes / MiB)} MiB): ` +
        `${Math.round(above / MiB)} MiB above the cache (goal <= 128: ${above <= MEMORY_ABOVE_CACHE_GOAL ? 'met' : 'NOT met'}); ` +
        `Samba's processes together: ${Math.round(memory.samba / MiB)} MiB`,
    );
  }
}

async function main(): Promise<void> {
  if (!sambaAvailable()) {
    console.log('SKIP bench: Samba smbd is missing (apt-get install samba smbclient samba-testsuite)');
    return;
  }
  const scale = { ...(values.quick ? QUICK : FULL), ...(values.rounds ? { rounds: Number(values.rounds) } : {}) };
  const files = prepareShare(join(tmpdir(), `spliced-bench-${values.quick ? 'quick' : 'full'}`), scale);
  const chosen = selectedRows(rows(scale, files));
  const work = mkdtempSync(join(tmpdir(), 'spliced-bench-servers-'));
  const ceiling = await iperf3Ceiling(values.quick ? 2 : 5);
  const spliced = await SplicedSide.start(work, files.share, scale.cacheBytes);
  const samba = await SambaSide.start(work, files.share);
  const sides: Side[] = [spliced, samba];
  let results: RowResult[];
  let memory: Memory | null = null;
  let guardFailures: string[] = [];
  try {
    results = await measureAll(chosen, sides, scale);
    const clients = results.find((r) => r.row.key === 'clients');
    if (clients) {
      // Once more on spliced alone, with its cache as full as the rows before left it: the carved pages read after it.
      const again = await measureRow(clients.row, [spliced], 1, () => {});
      memory = { peak: again.figures.spliced.peakResident, cache: await spliced.cacheHeldBytes(), samba: clients.figures.samba.peakResident };
    }
    if (values.guard) guardFailures = await checkGuard(BASELINE, results, (row) => measureRow(row, sides, scale.rounds, () => {}));
  } finally {
    await spliced.stop();
    await samba.stop();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`\nnpm run bench${values.quick ? ' --quick' : ''}: spliced vs Samba smbd, ${scale.rounds} rounds per row, alternating, medians; CPU is the server's per unit`);
  printTable(results, (line) => console.log(line));
  printSummary(results, scale, ceiling, memory);
  if (values.record) {
    recordBaseline(BASELINE, results);
    console.log(`recorded the ratios in ${BASELINE}`);
  }
  if (guardFailures.length) {
    for (const f of guardFailures) console.error(`bench guard: ${f}`);
    process.exitCode = 1;
  } else if (values.guard) console.log('bench guard: no ratio fell below half its recorded value');
}

await main();
