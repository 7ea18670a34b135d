// smbtorture subtests as node tests against the in-process fixture server: one server for the file,
// one test per smbtorture suite or subtest, each judged by smbtorture's own per-subtest results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from './server-fixture.js';
import type { ServerOptions } from '../../server/options.js';
import { haveTool, run } from './server-interop.js';
import { parseSmbtortureOutput, passed } from './smbtorture-output.js';

/** How the tests of one file judge smbtorture. */
export interface SmbtortureTestOptions {
  /** Subtests smbtorture may skip (it skips some itself against anything but Windows). */
  allowSkip?: readonly string[];
  /** Subtests that may fail because Samba 4.17 fails them on this machine too (npm run torture). */
  allowFail?: readonly string[];
  timeoutMs?: number;
  /** Options for the fixture server (e.g. mapToGuest). */
  server?: Partial<ServerOptions>;
}

/**
 * Register `before`/`after` hooks for a fixture server and one test per name in `suites` (e.g.
 * `smb2.read` or `smb2.getinfo.normalized`) that passes when every subtest smbtorture reports
 * succeeded, except those `allowSkip` lets skip and `allowFail` lets fail.
 */
export function smbtortureTests(suites: readonly string[], opts: SmbtortureTestOptions = {}): void {
  const available = haveTool('smbtorture');
  if (!available) console.log('# smbtorture not found; apt-get install smbclient samba-testsuite enables the interop tests');
  let f: ServerFixture;
  before(async () => {
    if (available) f = await startServer(opts.server);
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
      const excused = (x: { name: string; outcome: string }) =>
        (x.outcome === 'skip' && opts.allowSkip?.includes(x.name)) || (x.outcome !== 'skip' && opts.allowFail?.includes(x.name));
      const bad = results.filter((x) => !passed(x.outcome) && !excused(x));
      assert.deepEqual(bad, [], out);
      if (!opts.allowFail?.length) assert.equal(r.code, 0, out);
    });
  }
}
