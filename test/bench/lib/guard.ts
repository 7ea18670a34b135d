/**
 * The regression guard CI runs (`npm run bench -- --quick --guard`): each row's spliced/Samba
 * ratio against the one recorded in test/bench/quick-baseline.json. Only a gross regression
 * fails: a ratio below half its recorded value, measured again and still below.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Row } from './rows.js';
import { ratioOf, type RowResult } from './table.js';

/** A ratio below this share of the recorded one is a regression, not noise. */
const GROSS_REGRESSION = 0.5;

interface Baseline {
  note: string;
  ratios: Record<string, number>;
}

function readBaseline(path: string): Baseline {
  return JSON.parse(readFileSync(path, 'utf8')) as Baseline;
}

/** The rows whose ratio fell below half the recorded one twice in a row, each with its figures. */
export async function checkGuard(path: string, results: RowResult[], remeasure: (row: Row) => Promise<RowResult>): Promise<string[]> {
  const { ratios } = readBaseline(path);
  const failures: string[] = [];
  for (const result of results) {
    const recorded = ratios[result.row.key];
    if (recorded === undefined) continue;
    const floor = recorded * GROSS_REGRESSION;
    const first = ratioOf(result);
    if (first >= floor) continue;
    const second = ratioOf(await remeasure(result.row));
    if (second < floor) {
      failures.push(`${result.row.key}: spliced/Samba ${first.toFixed(2)}x, again ${second.toFixed(2)}x, below half the recorded ${recorded.toFixed(2)}x`);
    }
  }
  return failures;
}

export function recordBaseline(path: string, results: RowResult[]): void {
  const baseline: Baseline = {
    note: `spliced/Samba throughput ratios of npm run bench -- --quick --record, ${new Date().toISOString().slice(0, 10)}; the guard fails below half of each`,
    ratios: Object.fromEntries(results.map((r) => [r.row.key, Number(ratioOf(r).toFixed(3))])),
  };
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
