import { spawn, spawnSync } from 'node:child_process';
import type { TortureAccount } from './servers.js';
import { parseSmbtortureList, parseSmbtortureOutput, type SubtestResult } from '../../support/smbtorture-output.js';

export interface SuiteRun {
  results: SubtestResult[];
  seconds: number;
  timedOut: boolean;
}

/** The subtests smbtorture knows for `suite` (a suite, or one subtest such as smb2.getinfo.normalized). */
export function listSubtests(suite: string): string[] {
  const listed = spawnSync('smbtorture', ['--list', suite], { encoding: 'utf8' });
  return parseSmbtortureList(listed.stdout, suite);
}

/**
 * Run smbtorture `suite` against //127.0.0.1/share on `port`, killing it after `timeoutMs`. Subtests
 * that `expected` names but the run never reached are errors, so a hung or crashed run shows.
 */
export function runSuite(suite: string, port: number, account: TortureAccount, timeoutMs: number, expected: string[]): Promise<SuiteRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn('smbtorture', ['//127.0.0.1/share', '-p', String(port), '-U', `${account.name}%${account.password}`, suite], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      const why = timedOut ? `timed out after ${Math.round(timeoutMs / 1000)} s` : 'no result (smbtorture ended)';
      const results = parseSmbtortureOutput(text, why);
      for (const name of expected) {
        if (!results.some((r) => r.name === name)) results.push({ name, outcome: 'error', reason: timedOut ? `not reached: ${why}` : 'not run' });
      }
      resolve({ results, seconds: (Date.now() - started) / 1000, timedOut });
    });
  });
}

/** Per-subtest limit when the subtests a timed-out run never reached are run one by one. */
export const RERUN_TIMEOUT_MS = 120_000;

/**
 * After a run that timed out, run the subtest it was in and each one it never reached on its own
 * (`suite.name`, killed after `RERUN_TIMEOUT_MS`), so one hung subtest does not cost the rest of
 * the suite. Their results replace those errors in `run`.
 */
export async function rerunUnreached(suite: string, port: number, account: TortureAccount, run: SuiteRun): Promise<void> {
  if (!run.timedOut) return;
  for (const [i, r] of run.results.entries()) {
    if (r.outcome !== 'error' || !/^(not reached|timed out)/.test(r.reason)) continue;
    const single = await runSuite(`${suite}.${r.name}`, port, account, RERUN_TIMEOUT_MS, [r.name]);
    const result = single.results.find((x) => x.name === r.name) ?? r;
    run.results[i] = { ...result, reason: `${result.reason}${result.reason ? ' ' : ''}(run alone after the suite timed out)` };
    run.seconds += single.seconds;
  }
}
