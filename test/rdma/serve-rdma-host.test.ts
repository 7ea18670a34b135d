// `serve` around SMB Direct on a real soft-RoCE device, in the VM (test/rdma/serve-host/guest.ts):
// device node modes, the device probe, RLIMIT_MEMLOCK raised before the privilege drop (without
// it an unprivileged process cannot register 64 MiB), and serve as root with user = nobody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInVm, vmUnavailableReason } from '../support/vm.js';

const inCi = Boolean(process.env.CI) && process.env.CI !== 'false';
const unavailable = vmUnavailableReason();

interface Check {
  name: string;
  ok: boolean;
  detail: unknown;
}

if (unavailable && inCi) {
  test('serve around SMB Direct in the VM', () => assert.fail(`${unavailable}: CI must run the VM suite (test/vm/prepare.sh)`));
} else if (unavailable) {
  test('serve around SMB Direct in the VM', { skip: `${unavailable}; run test/vm/prepare.sh to enable it` }, () => {});
} else {
  test('serve around SMB Direct in the VM', { timeout: 900_000 }, async (t) => {
    const run = await runInVm({ command: ['node', '--import', 'tsx', 'test/rdma/serve-host/guest.ts'], timeoutMs: 840_000 });
    const checks = run.output.split('\n').filter((l) => l.startsWith('CHECK ')).map((l) => JSON.parse(l.slice(6)) as Check);
    assert.equal(run.exitCode, 0, run.output.slice(-3000));
    assert.equal(checks.length, 7, run.output.slice(-3000));
    for (const c of checks) await t.test(c.name, () => assert.ok(c.ok, JSON.stringify(c.detail, null, 1)));
  });
}
