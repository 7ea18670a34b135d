import { passed, type SubtestResult } from '../../support/smbtorture-output.js';
import type { ServerName } from './servers.js';

/** One suite's results on each server that ran it. */
export interface SuiteComparison {
  suite: string;
  subtests: string[];
  runs: Partial<Record<ServerName, { results: SubtestResult[]; seconds: number; timedOut: boolean }>>;
}

function resultOf(c: SuiteComparison, server: ServerName, name: string): SubtestResult | undefined {
  return c.runs[server]?.results.find((r) => r.name === name);
}

function cell(r: SubtestResult | undefined): string {
  if (!r) return '-';
  return passed(r.outcome) ? `ok (${r.outcome})`.replace(' (success)', '') : r.outcome;
}

/** Subtests Samba passes and spliced does not: the goal list. */
export function goalList(c: SuiteComparison): string[] {
  return c.subtests.filter((n) => {
    const samba = resultOf(c, 'samba', n);
    const spliced = resultOf(c, 'spliced', n);
    return samba !== undefined && passed(samba.outcome) && spliced !== undefined && !passed(spliced.outcome);
  });
}

export function passCount(c: SuiteComparison, server: ServerName): number {
  return c.subtests.filter((n) => {
    const r = resultOf(c, server, n);
    return r !== undefined && passed(r.outcome);
  }).length;
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The suite's table: one row per subtest, Samba next to spliced, and spliced's reason when it fails. */
export function suiteTable(c: SuiteComparison): string {
  const width = Math.max(8, ...c.subtests.map((n) => n.length));
  const head = `${'subtest'.padEnd(width)}  ${'samba'.padEnd(10)}  ${'spliced'.padEnd(10)}  spliced's reason`;
  const lines = [`== ${c.suite}`, head, '-'.repeat(head.length)];
  const goal = new Set(goalList(c));
  for (const name of c.subtests) {
    const spliced = resultOf(c, 'spliced', name);
    const why = spliced && !passed(spliced.outcome) ? clip(spliced.reason, 90) : '';
    lines.push(`${name.padEnd(width)}  ${cell(resultOf(c, 'samba', name)).padEnd(10)}  ${cell(spliced).padEnd(10)}  ${goal.has(name) ? '<< ' : ''}${why}`);
  }
  const timing = Object.entries(c.runs)
    .map(([s, r]) => `${s} ${r.seconds.toFixed(1)} s${r.timedOut ? ' (timed out)' : ''}`)
    .join(', ');
  lines.push(`passed: samba ${passCount(c, 'samba')}/${c.subtests.length}, spliced ${passCount(c, 'spliced')}/${c.subtests.length}; ${timing}`);
  return lines.join('\n');
}

/** Totals per suite and the goal list over all suites. */
export function summary(all: SuiteComparison[]): string {
  const width = Math.max(...all.map((c) => c.suite.length), 5);
  const lines = ['== summary', `${'suite'.padEnd(width)}  samba  spliced  subtests  samba-passes-spliced-fails`];
  let samba = 0;
  let spliced = 0;
  let total = 0;
  const goals: string[] = [];
  for (const c of all) {
    const g = goalList(c);
    samba += passCount(c, 'samba');
    spliced += passCount(c, 'spliced');
    total += c.subtests.length;
    goals.push(...g.map((n) => `${c.suite}.${n}`));
    lines.push(`${c.suite.padEnd(width)}  ${String(passCount(c, 'samba')).padStart(5)}  ${String(passCount(c, 'spliced')).padStart(7)}  ${String(c.subtests.length).padStart(8)}  ${g.length}`);
  }
  lines.push(`${'total'.padEnd(width)}  ${String(samba).padStart(5)}  ${String(spliced).padStart(7)}  ${String(total).padStart(8)}  ${goals.length}`);
  lines.push('', `Samba passes, spliced fails (${goals.length}):`, ...(goals.length ? goals.map((g) => `  ${g}`) : ['  (none)']));
  return lines.join('\n');
}
