/**
 * Rounds and the printed table of `npm run bench`: each row runs on both sides in alternating
 * order, round after round; the table shows medians, the spread of the rounds (noise), server
 * CPU per unit and the spliced/Samba ratios against the row's goal.
 */
import { median } from './stats.js';
import type { Row } from './rows.js';
import type { Side } from './sides.js';

export interface SideFigures {
  rates: number[];
  cpuPerUnit: number[];
  peakResident: number;
}

export interface RowResult {
  row: Row;
  figures: Record<Side['name'], SideFigures>;
}

function empty(): SideFigures {
  return { rates: [], cpuPerUnit: [], peakResident: 0 };
}

async function once(row: Row, side: Side, into: SideFigures): Promise<void> {
  await row.beforeRound?.(side);
  let sampler: NodeJS.Timeout | undefined;
  if (row.sampleMemory) sampler = setInterval(() => (into.peakResident = Math.max(into.peakResident, side.residentBytes())), 100);
  const cpu0 = side.cpuSeconds();
  try {
    const done = await row.run(side);
    const cpu = side.cpuSeconds() - cpu0;
    const units = done.amount / row.cpu.per;
    into.rates.push(done.amount / row.rate.per / done.seconds);
    into.cpuPerUnit.push((cpu / units) * row.cpu.scale);
  } finally {
    clearInterval(sampler);
  }
  if (row.sampleMemory) into.peakResident = Math.max(into.peakResident, side.residentBytes());
}

/** Warm each side, then `rounds` rounds, the side order alternating from round to round. */
export async function measureRow(row: Row, sides: Side[], rounds: number, onRound: () => void): Promise<RowResult> {
  const figures = { spliced: empty(), samba: empty() };
  for (const side of sides) await row.warm?.(side);
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? [...sides].reverse() : sides) await once(row, side, figures[side.name]);
    onRound();
  }
  return { row, figures };
}

export function rateOf(f: SideFigures): number {
  return median(f.rates);
}

export function cpuOf(f: SideFigures): number {
  return median(f.cpuPerUnit);
}

export function ratioOf(result: RowResult): number {
  return rateOf(result.figures.spliced) / rateOf(result.figures.samba);
}

/** Half the range of the rounds, relative to the median: how far apart the rounds were. */
function noise(f: SideFigures): string {
  if (f.rates.length < 2) return '   -';
  const spread = (Math.max(...f.rates) - Math.min(...f.rates)) / 2 / median(f.rates);
  return `±${Math.round(spread * 100)}%`.padStart(4);
}

function figure(x: number): string {
  if (x >= 100) return Math.round(x).toString();
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(x >= 1 ? 2 : 3);
}

export function printTable(results: RowResult[], out: (line: string) => void): void {
  const header = ['workload', 'spliced', 'Samba', 'ratio', 'goal', 'CPU spliced', 'CPU Samba', 'CPU ratio', 'noise sp/Sa'];
  const lines = results.map(({ row, figures: { spliced, samba } }) => {
    const ratio = ratioOf({ row, figures: { spliced, samba } });
    const cpuRatio = cpuOf(spliced) / cpuOf(samba);
    const met = ratio >= row.goalRatio && cpuRatio <= 1 ? 'met' : 'NOT met';
    return [
      row.title,
      `${figure(rateOf(spliced))} ${row.rate.label}`,
      `${figure(rateOf(samba))} ${row.rate.label}`,
      `${ratio.toFixed(2)}x`,
      `>=${row.goalRatio}x ${met}`,
      `${figure(cpuOf(spliced))} ${row.cpu.label}`,
      `${figure(cpuOf(samba))} ${row.cpu.label}`,
      `${cpuRatio.toFixed(2)}x`,
      `${noise(spliced)} ${noise(samba)}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  out(format(header));
  out(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) out(format(l));
}
