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
