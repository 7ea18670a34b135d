// smbtorture's durable-handle suites against the in-process fixture server, judged per subtest:
// every subtest Samba 4.17 passes on this machine as an authenticated user must pass here too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { haveTool, run } from '../support/server-interop.js';

const available = haveTool('smbtorture');
if (!available) console.log('# smbtorture not found; apt-get install smbclient samba-testsuite enables the interop tests');

/** Subtests Samba itself fails here (its own smbtorture run, /work/torture-baseline): not required. */
const SAMBA_FAILS: Record<string, readonly string[]> = {
  'smb2.durable-open': ['delete_on_close2'],
  'smb2.durable-v2-open': ['app-instance'],
};

let f: ServerFixture;
before(async () => {
  if (available) f = await startServer();
});
after(async () => {
  if (available) await f.close();
});

/** `success: NAME` / `failure: NAME [` … lines of smbtorture's subunit-ish output. */
function outcomes(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const r = /^(success|failure|error|skip|xfail): (\S+)/.exec(line);
    if (r) m.set(r[2]!, r[1]!);
  }
  return m;
}

for (const [suite, allowed] of Object.entries(SAMBA_FAILS)) {
  test(`smbtorture ${suite}: every subtest Samba passes passes`, { skip: !available }, async () => {
    const r = await run('smbtorture', ['//127.0.0.1/share', '-p', String(f.port), '-U', `${TEST_USER}%${TEST_PASSWORD}`, suite], 120_000);
    const out = r.stdout + r.stderr;
    const results = outcomes(out);
    assert.ok(results.size >= 10, `smbtorture reported too few subtests:\n${out}`);
    const bad = [...results].filter(([name, outcome]) => outcome !== 'success' && !allowed.includes(name));
    assert.deepEqual(bad, [], out);
  });
}
