// The rxe suite: boots the soft-RoCE VM once, runs the guest tests (test/rdma/guest) on the
// binding, the same tests again with the AddressSanitizer build of the addon, and perftest's
// ib_write_bw / ib_read_bw as the throughput ceiling. Each guest test becomes a subtest here.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, lastLines, preparedKernelRelease, runInVm, vmUnavailableReason, type VmRun } from '../support/vm.js';
import { ceilingMBps, describeCeiling, type PerftestCeiling } from '../support/perftest-ceiling.js';

const ASAN_ADDON = '.cache/native-asan/build/Release/spliced_rdma.node';
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';

interface GuestResult {
  name: string;
  nesting: number;
  ok: boolean;
  skip: boolean;
  durationMs?: number;
  error?: string;
}

function readResults(run: VmRun, label: string): GuestResult[] {
  const file = join(run.outDir, `results-${label}.jsonl`);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return lines.map((line) => JSON.parse(line) as GuestResult).filter((r) => r.nesting === 0);
}

function buildAddons(): void {
  for (const args of [[], ['--asan']]) {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'native', 'build.mjs'), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `native/build.mjs ${args.join(' ')} failed:\n${lastLines(r.stdout + r.stderr, 30)}`);
  }
  assert.ok(existsSync(join(REPO_ROOT, 'native', 'build', 'Release', 'spliced_rdma.node')), 'the addon was not built (RDMA headers missing?)');
  assert.ok(existsSync(join(REPO_ROOT, ASAN_ADDON)), 'the ASan addon was not built');
}

/** What the guest printed for one test of a run: the lines from the previous result to its own. */
function guestOutputFor(output: string, label: string, name: string): string {
  const lines = output.split('\n');
  const start = lines.indexOf(`=== guest tests (${label})`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith(`✖ ${name} (`));
  if (start < 0 || end < 0) return lastLines(output, 60);
  let from = end;
  while (from > start + 1 && !/^[✔✖﹣] /.test(lines[from - 1])) from--;
  let to = end + 1;
  while (to < lines.length && lines[to].trim() !== '') to++;
  return lines.slice(Math.max(from, end - 80), to).join('\n');
}

async function reportGuestTests(t: TestContext, run: VmRun, label: string): Promise<void> {
  const results = readResults(run, label);
  await t.test(`${label}: the guest test run completed`, () => {
    const exit = existsSync(join(run.outDir, `exit-${label}`)) ? readFileSync(join(run.outDir, `exit-${label}`), 'utf8').trim() : 'missing';
    assert.ok(results.length > 0, `no results from the guest (exit ${exit}):\n${lastLines(run.output, 60)}`);
    assert.ok(exit === '0' || results.some((r) => !r.ok), `the guest runner exited ${exit} with every test passing:\n${lastLines(run.output, 60)}`);
  });
  for (const r of results) {
    await t.test(`${label}: ${r.name}`, { skip: r.skip }, () => {
      if (!r.ok) assert.fail(`${r.error ?? 'failed'}\n--- guest output ---\n${guestOutputFor(run.output, label, r.name)}`);
    });
  }
}

function readCeiling(run: VmRun, tool: string): PerftestCeiling {
  const file = join(run.outDir, `${tool}.json`);
  assert.ok(existsSync(file), `no ${tool}.json from the guest:\n${lastLines(run.output, 40)}`);
  return JSON.parse(readFileSync(file, 'utf8')) as PerftestCeiling;
}

const unavailable = vmUnavailableReason();
if (unavailable && inCi) {
  test('rxe suite in a soft-RoCE VM', () => {
    assert.fail(`CI must run the rxe suite, but ${unavailable}; .ci/run must call test/vm/prepare.sh`);
  });
} else if (unavailable) {
  test('rxe suite in a soft-RoCE VM', { skip: `${unavailable}; run test/vm/prepare.sh to enable it` }, () => {});
} else {
  test('rxe suite in a soft-RoCE VM', async (t) => {
    buildAddons();
    const started = Date.now();
    const run = await runInVm({
      command: ['bash', 'test/rdma/guest/suite.sh'],
      env: { SPLICED_ASAN_ADDON: ASAN_ADDON },
      timeoutMs: 540_000,
    });
    console.log(`rxe VM run: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${run.exitCode}, output in ${run.outDir}`);
    await t.test('the VM booted and ran the suite', () => {
      assert.equal(run.exitCode, 0, lastLines(run.output, 60));
    });
    await t.test('the guest booted the kernel prepare.sh prepared (the newest 6.1 package)', () => {
      const booted = readFileSync(join(run.outDir, 'kernel-release'), 'utf8').trim();
      assert.equal(booted, preparedKernelRelease());
    });
    await reportGuestTests(t, run, 'main');
    await reportGuestTests(t, run, 'asan');
    await t.test('asan: AddressSanitizer reported no errors', () => {
      const reports = readdirSync(run.outDir).filter((f) => f.startsWith('asan.'));
      const text = reports.map((f) => readFileSync(join(run.outDir, f), 'utf8')).join('\n');
      assert.deepEqual(reports, [], `AddressSanitizer reports:\n${lastLines(text, 80)}`);
    });
    for (const tool of ['ib_write_bw', 'ib_read_bw']) {
      await t.test(`perftest ceiling: ${tool}`, () => {
        const ceiling = readCeiling(run, tool);
        console.log(describeCeiling(ceiling));
        assert.equal(ceiling.exit, 0, `${tool} failed:\n${readFileSync(join(run.outDir, `${tool}.txt`), 'utf8')}`);
        assert.ok(ceilingMBps(ceiling) > 0, `${tool} moved no data: ${JSON.stringify(ceiling)}`);
      });
    }
  });
}
