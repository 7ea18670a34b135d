// smbtorture's smb2.dir subtests as an independent judge of QUERY_DIRECTORY: every info class,
// small fixed buffers, single-entry / restart / reopen continuations over hundreds of files, and
// large listings. Left out: smb2.dir.one and smb2.dir.modify fail with a client-side
// INVALID_PARAMETER in steps that are not listings (smb2_create_complex_file and the path-based
// delete-on-close after it; no QUERY_DIRECTORY fails), and smb2.dir.file-index skips itself
// because FileIndex is 0, as on NTFS.
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

for (const suite of ['smb2.dir.find', 'smb2.dir.fixed', 'smb2.dir.many', 'smb2.dir.sorted', 'smb2.dir.large-files']) {
  test(`smbtorture ${suite} passes`, { skip: !available }, async () => {
    const r = await run('smbtorture', [`//127.0.0.1/share`, '-p', String(f.port), '-U', `${TEST_USER}%${TEST_PASSWORD}`, suite], 300_000);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 0, out);
    assert.doesNotMatch(out, /^(failure|error):/m, out);
    assert.match(out, /^success:/m);
  });
}
