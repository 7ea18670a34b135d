import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { haveTool, run } from '../support/server-interop.js';

const available = haveTool('smbtorture');
if (!available) console.log('# smbtorture not found; apt-get install smbclient samba-testsuite enables the interop tests');

let f: ServerFixture;
before(async () => {
  if (available) f = await startServer();
});
after(async () => {
  if (available) await f.close();
});

// The smb2.lock subtests that need blocking locks: STATUS_PENDING, CANCEL, and the answers when the
// lock's open, tree or session goes away while it waits.
const LOCK_SUITES = ['smb2.lock.async', 'smb2.lock.cancel', 'smb2.lock.cancel-tdis', 'smb2.lock.cancel-logoff'];
for (const suite of ['smb2.connect', 'smb2.read', 'smb2.rename', ...LOCK_SUITES]) {
  test(`smbtorture ${suite} passes`, { skip: !available }, async () => {
    const r = await run('smbtorture', [`//127.0.0.1/share`, '-p', String(f.port), '-U', `${TEST_USER}%${TEST_PASSWORD}`, suite], 300_000);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.doesNotMatch(out, /^(failure|error):/m, out);
    assert.match(out, /^success:/m);
  });
}
