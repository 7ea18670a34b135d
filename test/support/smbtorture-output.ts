/**
 * smbtorture's "simple" output as results: each subtest announces itself with `test: NAME` and ends
 * with one of `success:`, `failure:`, `error:`, `skip:`, `xfail:` or `uxsuccess:` NAME, optionally
 * followed by ` [` and a reason that runs to a line holding only `]`.
 */

export type Outcome = 'success' | 'failure' | 'error' | 'skip' | 'xfail' | 'uxsuccess';

/** What one subtest came to; `reason` is smbtorture's bracketed text (first lines), or why it has no result. */
export interface SubtestResult {
  name: string;
  outcome: Outcome;
  reason: string;
}

const RESULT = /^(success|failure|error|skip|xfail|uxsuccess): (.+?)( \[)?$/;
const START = /^test: (.+)$/;
const REASON_LINES = 3;

/** True for the outcomes that count as passing. */
export function passed(outcome: Outcome): boolean {
  return outcome === 'success' || outcome === 'xfail';
}

/**
 * Results in the order smbtorture reported them. A subtest that started but never reported
 * (smbtorture killed by the timeout, or crashed) is an `error` with `unfinished` as its reason.
 */
export function parseSmbtortureOutput(text: string, unfinished = 'no result (smbtorture ended)'): SubtestResult[] {
  const results: SubtestResult[] = [];
  let open: string | null = null;
  let reasonOf: SubtestResult | null = null;
  let reason: string[] = [];
  for (const line of text.split('\n')) {
    if (reasonOf) {
      if (line === ']') {
        reasonOf.reason = reason.slice(0, REASON_LINES).join(' | ');
        reasonOf = null;
      } else reason.push(line.trim());
      continue;
    }
    const start = START.exec(line);
    if (start) {
      open = start[1]!;
      continue;
    }
    const end = RESULT.exec(line);
    if (!end) continue;
    const result: SubtestResult = { name: end[2]!, outcome: end[1] as Outcome, reason: '' };
    results.push(result);
    if (open === result.name) open = null;
    if (end[3]) {
      reasonOf = result;
      reason = [];
    }
  }
  if (reasonOf) reasonOf.reason = reason.slice(0, REASON_LINES).join(' | ');
  if (open !== null) results.push({ name: open, outcome: 'error', reason: unfinished });
  return results;
}

/**
 * Subtest names from `smbtorture --list SUITE` (lines such as `smb2.read.eof.eof` or `smb2.connect`):
 * the last component, which is the name the run reports.
 */
export function parseSmbtortureList(text: string, suite: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    const full = line.trim();
    if (full !== suite && !full.startsWith(`${suite}.`)) continue;
    const name = full.slice(full.lastIndexOf('.') + 1);
    if (!names.includes(name)) names.push(name);
  }
  return names;
}
