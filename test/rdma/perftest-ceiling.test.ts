// test/rdma/guest/perftest-ceiling.sh on the host, with stand-ins for perftest's tools that
// reproduce what perftest prints under TCG: a failed clock calibration (0.00 MB/s although the
// transfer ran), a transfer that fails, a server not yet listening. The real tools run in the VM
// (rxe.test.ts); these runs check how the script decides and reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/vm.js';
import { ceilingMBps, describeCeiling, type PerftestCeiling } from '../support/perftest-ceiling.js';

const SCRIPT = join(REPO_ROOT, 'test', 'rdma', 'guest', 'perftest-ceiling.sh');

const TABLE_HEAD = ' #bytes     #iterations    BW peak[MB/sec]    BW average[MB/sec]   MsgRate[Mpps]';
const CALIBRATION_FAILED = `Correlation coefficient r^2: 0.892934 < 0.9\n${TABLE_HEAD}\n 65536      500              0.00               0.00               0.000000`;
const CALIBRATED = `${TABLE_HEAD}\n 65536      500              27.61              26.80              0.000429`;

/**
 * A stand-in for ib_write_bw: as server (no host argument) it waits to be killed; as client it
 * prints the answer for its call number from `answers` (one per call, the last one repeating):
 * "calibration-failed", "calibrated", "dead" (table started, then exit 1), "refused" (no table, exit 1).
 */
function stubTool(dir: string, answers: string[]): void {
  const outputs: Record<string, [string, number]> = {
    'calibration-failed': [CALIBRATION_FAILED, 0],
    calibrated: [CALIBRATED, 0],
    dead: [`${TABLE_HEAD}\nCompletion with error at client`, 1],
    refused: ['Unable to perform rdma_client function', 1],
  };
  answers.forEach((answer, i) => writeFileSync(join(dir, `answer-${i + 1}`), `${outputs[answer][0]}\n`));
  const exits = answers.map((answer) => outputs[answer][1]).join(' ');
  const script = `#!/bin/bash
host=""
for arg; do case "$arg" in 10.*) host=$arg ;; esac; done
[ -n "$host" ] || exec sleep 30
n=$(( $(cat "${dir}/calls" 2>/dev/null || echo 0) + 1 )); echo $n > "${dir}/calls"
exits=(${exits})
i=$(( n < ${answers.length} ? n : ${answers.length} ))
cat "${dir}/answer-$i"
exit \${exits[$((i - 1))]}
`;
  writeFileSync(join(dir, 'ib_write_bw'), script);
  chmodSync(join(dir, 'ib_write_bw'), 0o755);
}

function runCeiling(answers: string[]): { ceiling: PerftestCeiling; output: string; calls: number } {
  const dir = mkdtempSync(join(tmpdir(), 'perftest-ceiling-'));
  try {
    stubTool(dir, answers);
    const r = spawnSync('bash', ['-c', `source ${JSON.stringify(SCRIPT)} && perftest_ceiling ib_write_bw 18515 ${JSON.stringify(dir)}`], {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, PERFTEST_CONNECT_DELAY: '0.05' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const ceiling = JSON.parse(readFileSync(join(dir, 'ib_write_bw.json'), 'utf8')) as PerftestCeiling;
    return { ceiling, output: r.stdout, calls: Number(readFileSync(join(dir, 'calls'), 'utf8')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a calibrated first run is reported as perftest measured it, with the wall clock beside it', () => {
  const { ceiling, calls } = runCeiling(['calibrated']);
  assert.equal(calls, 1);
  assert.deepEqual([ceiling.source, ceiling.attempts, ceiling.calibrationFailures, ceiling.exit], ['perftest', 1, 0, 0]);
  assert.deepEqual([ceiling.peak, ceiling.average], [27.61, 26.8]);
  assert.ok(ceiling.wallclockMBps > 0);
  assert.equal(ceilingMBps(ceiling), 26.8);
  assert.match(describeCeiling(ceiling), /^ib_write_bw over rxe0 \(64 KiB x 500, TCG guest\): peak 27.61 MB\/s, average 26.8 MB\/s \(perftest\)/);
});

test('a failed clock calibration is measured again and the output says so', () => {
  const { ceiling, output, calls } = runCeiling(['calibration-failed', 'calibrated']);
  assert.equal(calls, 2);
  assert.deepEqual([ceiling.source, ceiling.attempts, ceiling.calibrationFailures, ceiling.average], ['perftest', 2, 1, 26.8]);
  assert.match(output, /attempt 1: clock calibration failed \(Correlation coefficient r\^2: 0.892934 < 0.9\)/);
  assert.match(describeCeiling(ceiling), /after 1 failed clock calibration\(s\) in 2 attempts/);
});

test('calibration failing every time is bounded, and the wall-clock figure is reported instead', () => {
  const { ceiling, calls } = runCeiling(['calibration-failed']);
  assert.equal(calls, 3);
  assert.deepEqual([ceiling.source, ceiling.attempts, ceiling.calibrationFailures, ceiling.exit], ['wallclock', 3, 3, 0]);
  assert.ok(ceilingMBps(ceiling) > 0);
  assert.match(describeCeiling(ceiling), /by the wall clock incl\. set-up \(perftest's clock calibration failed in all 3 attempts\)/);
});

test('a transfer that fails reports no bandwidth and is not measured again', () => {
  const { ceiling, calls } = runCeiling(['dead']);
  assert.equal(calls, 1);
  assert.deepEqual([ceiling.source, ceiling.exit], ['none', 1]);
  assert.equal(ceilingMBps(ceiling), 0);
  assert.match(describeCeiling(ceiling), /the transfer failed \(client exit 1\)/);
});

test('a client that finds no server yet connects again without counting an attempt', () => {
  const { ceiling, calls } = runCeiling(['refused', 'refused', 'calibrated']);
  assert.equal(calls, 3);
  assert.deepEqual([ceiling.source, ceiling.attempts, ceiling.average], ['perftest', 1, 26.8]);
});
