// smbtorture subtests as node tests against the in-process fixture server: one server for the file,
// one test per smbtorture suite or subtest, each judged by smbtorture's own per-subtest results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from './server-fixture.js';
import { haveTool, run } from './server-interop.js';
import { parseSmbtortureOutput, passed } from './smbtorture-output.js';

/**
 * Register `before`/`after` hooks for a fixture server and one test per name in `suites` (e.g.
 * `smb2.read` or `smb2.getinfo.normalized`) that passes when smbtorture exits 0 and every subtest it
 * reports succeeded; a subtest smbtorture skips fails the test unless listed in `allowSkip`.
 */
export function smbtortureTests(suites: readonly string[], opts: { allowSkip?: readonly string[]; timeoutMs?: number } = {}): void {
  const available = haveTool('smbtorture');
  if (!available) console.log('# smbtorture not found; apt-get install smbclient samba-testsuite enables the interop tests');
  let f: ServerFixture;
  before(async () => {
    if (available) f = await startServer();
  });
  after(async () => {
    if (available) await f.close();
  });
  for (const suite of suites) {
    test(`smbtorture ${suite} passes`, { skip: !available }, async () => {
      const r = await run('smbtorture', ['//127.0.0.1/share', '-p', String(f.port), '-U', `${TEST_USER}%${TEST_PASSWORD}`, suite], opts.timeoutMs ?? 300_000);
      const out = r.stdout + r.stderr;
      const results = parseSmbtortureOutput(out);
      assert.ok(results.length > 0, `smbtorture reported no subtest:\n${out}`);
      const bad = results.filter((x) => !passed(x.outcome) && !(x.outcome === 'skip' && opts.allowSkip?.includes(x.name)));
      assert.deepEqual(bad, [], out);
      assert.equal(r.code, 0, out);
    });
  }
}
