// Interop with the Linux kernel cifs client over TCP: boots the VM (test/vm), starts spliced in
// the guest on 10.77.0.1:445 and mounts it with the guest kernel's cifs.ko (vers=3.1.1, 3.0,
// 2.1, guest), running test/rdma/kernel-cifs/guest.sh. Each guest check becomes a subtest here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runInVm, vmUnavailableReason, type VmRun } from '../vm/vm.js';

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

/** What helps most when a check fails: its own trace, the kernel's view and spliced's log. */
function failureContext(run: VmRun, result: CheckResult): string {
  const dir = join(run.outDir, 'cifs');
  const dmesg = readIfPresent(join(dir, 'dmesg.txt'))
    .split('\n')
    .filter((line) => /cifs|smb|CIFS|SMB/.test(line));
  return [
    `--- guest trace (${result.log}) ---`,
    tail(readIfPresent(join(dir, result.log)), 60),
    '--- dmesg (cifs lines, tail) ---',
    dmesg.slice(-25).join('\n'),
    '--- spliced log (tail) ---',
    tail(readIfPresent(join(dir, 'spliced.log')), 25),
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
