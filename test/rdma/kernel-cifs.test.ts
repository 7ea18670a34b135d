// Interop with the Linux kernel cifs client over TCP: boots the VM (test/vm), starts spliced in
// the guest on 10.77.0.1:445 and mounts it with the guest kernel's cifs.ko (vers=3.1.1, 3.0,
// 2.1, guest), running test/rdma/kernel-cifs/guest.sh. Each guest check becomes a subtest here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runInVm, vmUnavailableReason, type VmRun } from '../support/vm.js';

const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
// Compiled JavaScript starts in seconds in the emulated guest; tsx there takes close to a minute.
const GUEST_BUILD = '.cache/vm/cifs-dist';
const USERS_FILE = '.cache/vm/cifs-users';
const ACCOUNT = { CIFS_USER: 'cifsuser', CIFS_PASSWORD: 'Kernel-Cifs-1' };

interface CheckResult {
  ok: boolean;
  name: string;
  log: string;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

function readIfPresent(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : `(no ${path})`;
}

/** tsc into a private folder; type errors elsewhere in the tree still emit JavaScript. */
function buildForGuest(): void {
  const outDir = join(REPO_ROOT, GUEST_BUILD);
  rmSync(outDir, { recursive: true, force: true });
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', outDir, '--sourceMap', 'false'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) console.log(`kernel cifs: tsc reported errors, running what it emitted:\n${tail(r.stdout + r.stderr, 10)}`);
  assert.ok(existsSync(join(outDir, 'cli', 'main.js')), `tsc emitted no cli/main.js:\n${tail(r.stdout + r.stderr, 30)}`);
}

/** `spliced user add` on the host: node starts slowly in the guest, the file is all it needs. */
function addUser(): void {
  rmSync(join(REPO_ROOT, USERS_FILE), { force: true });
  const cli = join(REPO_ROOT, GUEST_BUILD, 'cli', 'main.js');
  const args = [cli, 'user', 'add', ACCOUNT.CIFS_USER, '--users-file', USERS_FILE, '--password', ACCOUNT.CIFS_PASSWORD];
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `spliced user add failed:\n${r.stdout}${r.stderr}`);
}

function readResults(run: VmRun): CheckResult[] {
  const file = join(run.outDir, 'cifs', 'results.tsv');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [status, name, log] = line.split('\t');
      return { ok: status === 'ok', name, log };
    });
}

/** The guest trace's first and last EPOCHREALTIME stamps (PS4), in ms. */
function traceWindow(trace: string): { from: number; to: number } | null {
  const stamps = [...trace.matchAll(/^\++ (\d+\.\d+) /gm)].map((m) => Number(m[1]) * 1000);
  return stamps.length ? { from: stamps[0], to: stamps[stamps.length - 1] } : null;
}

/** spliced's log lines written while the check ran (the same guest clock), else its tail. */
function splicedLogDuring(log: string, trace: string): string {
  const window = traceWindow(trace);
  const lines = log.split('\n').filter(Boolean);
  if (!window) return lines.slice(-25).join('\n');
  const during = lines.filter((line) => {
    const time = Number(/"time":(\d+)/.exec(line)?.[1]);
    return time >= window.from - 500 && time <= window.to + 500;
  });
  return during.slice(-40).join('\n') || '(nothing logged during the check)';
}

/** What helps most when a check fails: its own trace, the kernel's view and spliced's log. */
function failureContext(run: VmRun, result: CheckResult): string {
  const dir = join(run.outDir, 'cifs');
  const trace = readIfPresent(join(dir, result.log));
  const dmesg = readIfPresent(join(dir, 'dmesg.txt'))
    .split('\n')
    .filter((line) => /CIFS|cifs|smb[23]/.test(line));
  return [
    `--- guest trace (${result.log}) ---`,
    tail(trace, 60),
    '--- dmesg (cifs lines, tail) ---',
    dmesg.slice(-25).join('\n'),
    '--- spliced log while the check ran ---',
    splicedLogDuring(readIfPresent(join(dir, 'spliced.log')), trace),
  ].join('\n');
}

const unavailable = vmUnavailableReason();
if (unavailable && inCi) {
  test('kernel cifs client interop in the VM', () => {
    assert.fail(`CI must run the kernel cifs interop test, but ${unavailable}; .ci/run must call test/vm/prepare.sh`);
  });
} else if (unavailable) {
  test('kernel cifs client interop in the VM', { skip: `${unavailable}; run test/vm/prepare.sh to enable it` }, () => {});
} else {
  test('kernel cifs client interop in the VM', async (t) => {
    buildForGuest();
    addUser();
    const started = Date.now();
    const run = await runInVm({
      command: ['bash', 'test/rdma/kernel-cifs/guest.sh'],
      env: { SPLICED_CLI: `${GUEST_BUILD}/cli/main.js`, CIFS_USERS_FILE: USERS_FILE, ...ACCOUNT },
      timeoutMs: 300_000,
    });
    console.log(`kernel cifs VM run: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${run.exitCode}, output in ${run.outDir}`);
    const results = readResults(run);
    await t.test('the VM booted and ran the checks', () => {
      assert.ok(results.length > 0, `no results from the guest (exit ${run.exitCode}):\n${tail(run.output, 60)}`);
      assert.ok(run.exitCode === 0 || results.some((r) => !r.ok), `the guest exited ${run.exitCode} with every check passing:\n${tail(run.output, 60)}`);
    });
    for (const result of results) {
      await t.test(result.name, () => {
        if (!result.ok) assert.fail(`the guest check failed\n${failureContext(run, result)}`);
      });
    }
  });
}
