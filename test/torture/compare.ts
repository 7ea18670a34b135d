/**
 * `npm run torture`: the same smbtorture suites against a private Samba and against `spliced serve`,
 * both logging in one authenticated user, each suite on fresh shares and freshly started servers.
 * Prints a table per suite, then the totals and the subtests Samba passes and spliced fails.
 *
 *   npm run torture -- [--suites smb2.getinfo,smb2.create] [--servers samba,spliced]
 *                      [--timeout SECONDS] [--json FILE] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { goalList, passCount, suiteTable, summary, type SuiteComparison } from './lib/report.js';
import { listSubtests, rerunUnreached, runSuite } from './lib/run-suite.js';
import { ensureAccount, freshShare, SERVER_NAMES, startServer, type ServerName, type TortureAccount } from './lib/servers.js';

/** The suites of issue 13, in the order they run. */
const DEFAULT_SUITES = [
  'smb2.connect', 'smb2.read', 'smb2.dir', 'smb2.getinfo', 'smb2.create', 'smb2.lock', 'smb2.credits', 'smb2.rename',
  'smb2.lease', 'smb2.oplock', 'smb2.durable-open', 'smb2.durable-v2-open', 'smb2.notify', 'smb2.setinfo',
];
const DEFAULT_TIMEOUT_S = 300;
/** smb2.notify's subtests wait for timeouts: on Samba the suite runs for minutes. */
const SUITE_TIMEOUT_S: Record<string, number> = { 'smb2.notify': 900 };
const USER = 'spliced-torture';
const PASSWORD = 'Wonder-land 7';

function options() {
  const { values } = parseArgs({
    options: {
      suites: { type: 'string' },
      servers: { type: 'string', default: SERVER_NAMES.join(',') },
      timeout: { type: 'string' },
      json: { type: 'string' },
      user: { type: 'string', default: USER },
      keep: { type: 'boolean', default: false },
    },
  });
  const servers = values.servers.split(',').map((s) => s.trim());
  for (const s of servers) if (!SERVER_NAMES.includes(s as ServerName)) throw new Error(`--servers: unknown server "${s}" (samba, spliced)`);
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(timeout > 0)) throw new Error(`--timeout: "${values.timeout}" is not a number of seconds`);
  return {
    suites: values.suites ? values.suites.split(',').map((s) => s.trim()).filter(Boolean) : DEFAULT_SUITES,
    servers: servers as ServerName[],
    timeoutS: (suite: string) => timeout ?? SUITE_TIMEOUT_S[suite] ?? DEFAULT_TIMEOUT_S,
    json: values.json,
    user: values.user,
    keep: values.keep,
  };
}

async function compareSuite(suite: string, servers: ServerName[], account: TortureAccount, root: string, timeoutS: number): Promise<SuiteComparison> {
  const expected = listSubtests(suite);
  const comparison: SuiteComparison = { suite, subtests: [...expected], runs: {} };
  for (const name of servers) {
    const workDir = join(root, suite, name);
    const server = await startServer(name, workDir, freshShare(root, workDir, account), account);
    // Ctrl-C or a kill ends the server under test too, not only this script.
    const interrupted = () => void server.stop().then(() => process.exit(130));
    process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
    try {
      const run = await runSuite(suite, server.port, account, timeoutS * 1000, expected);
      await rerunUnreached(suite, server.port, account, run);
      comparison.runs[name] = run;
      for (const r of run.results) if (!comparison.subtests.includes(r.name)) comparison.subtests.push(r.name);
    } finally {
      process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
      await server.stop();
    }
  }
  return comparison;
}

async function main(): Promise<void> {
  const opts = options();
  if (spawnSync('sh', ['-c', 'command -v smbtorture && test -x /usr/sbin/smbd'], { stdio: 'ignore' }).status !== 0) {
    throw new Error('smbtorture and smbd are needed: apt-get install samba samba-testsuite');
  }
  const account = ensureAccount(opts.user, PASSWORD);
  const root = mkdtempSync(join(tmpdir(), 'spliced-torture-'));
  // Runs before compareSuite's handler, which stops the server and exits.
  if (!opts.keep) process.once('SIGINT', () => rmSync(root, { recursive: true, force: true })).once('SIGTERM', () => rmSync(root, { recursive: true, force: true }));
  const all: SuiteComparison[] = [];
  try {
    for (const suite of opts.suites) {
      const c = await compareSuite(suite, opts.servers, account, root, opts.timeoutS(suite));
      all.push(c);
      console.log(`${suiteTable(c)}\n`);
    }
  } finally {
    if (opts.keep) console.log(`work directories (shares, configs, logs) kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
  console.log(summary(all));
  if (opts.json) {
    const suites = all.map((c) => ({ ...c, passed: { samba: passCount(c, 'samba'), spliced: passCount(c, 'spliced') }, sambaPassesSplicedFails: goalList(c) }));
    writeFileSync(opts.json, `${JSON.stringify({ date: new Date().toISOString(), user: account.name, suites }, null, 2)}\n`);
    console.log(`\nresults written to ${opts.json}`);
  }
}

main().catch((err: unknown) => {
  console.error(`torture: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
