/**
 * Confirm a finding on a fresh server and shrink its inputs: the last or the first input
 * alone, then removing ever smaller runs of inputs while the same kind of finding shows.
 */
import { runCase, type Bounds, type FindingKind } from './runner.js';
import { startTarget } from './target.js';
import type { FuzzInput, Phase } from './generator.js';
import type { StallMonitor } from './probes.js';

export interface ShrinkRequest {
  kind: FindingKind;
  phase: Phase;
  scratchName: string;
  inputs: FuzzInput[];
  window: number;
  bounds: Bounds;
  monitor: StallMonitor;
  /** Replays allowed after the confirming one. */
  maxTries?: number;
}

/** Kinds whose every replay waits out a time bound: shrink them less. */
const TIMED = new Set<FindingKind>(['stall', 'no-answer', 'linger']);

/** Replay `inputs` on a fresh server; true when a finding of `kind` shows again. */
export async function reproduces(r: Omit<ShrinkRequest, 'inputs'>, inputs: FuzzInput[]): Promise<boolean> {
  const target = await startTarget();
  try {
    const result = await runCase(target, { phase: r.phase, scratchName: r.scratchName, source: { kind: 'replay', inputs }, window: r.window }, r.bounds, r.monitor);
    return result.findings.some((f) => f.kind === r.kind);
  } finally {
    await target.close();
  }
}

/** The smallest reproducing input list found within the budget, or null when it does not reproduce. */
export async function shrink(r: ShrinkRequest): Promise<FuzzInput[] | null> {
  if (!(await reproduces(r, r.inputs))) return null;
  let current = r.inputs;
  if (current.length === 1) return current;
  // The finding shows after the last input, but a leak or a wedge is often caused by an earlier one.
  for (const single of [current[current.length - 1], current[0]]) if (await reproduces(r, [single])) return [single];
  let tries = r.maxTries ?? (TIMED.has(r.kind) ? 3 : 10);
  for (let chunk = Math.ceil(current.length / 2); chunk >= 1 && tries > 0; chunk = Math.floor(chunk / 2)) {
    for (let start = 0; start < current.length && current.length > 1 && tries > 0; start += chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      if (candidate.length === 0) continue;
      tries--;
      if (await reproduces(r, candidate)) {
        current = candidate;
        start -= chunk;
      }
    }
  }
  return current;
}
