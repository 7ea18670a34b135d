// smbtorture's smb2.lock subtests as an independent judge of byte-range locks: READ and WRITE
// refused under other opens' locks, request validation, zero-length and end-of-space ranges,
// unlock order, stacking, all-or-none requests, LockSequence replays. One smbtorture run for
// all of them (a few seconds), each subtest reported on its own.
// Elsewhere: the blocking ones (async, cancel, cancel-tdis, cancel-logoff) run in
// smbtorture.test.ts. The replay_smb3_specification ones open their file with a batch oplock
// (and a durable handle) first. Left out: rw-none and ctdb-delrec-deadlock skip themselves
// against anything but Windows 2008 and ctdb.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { haveTool, run, type RunResult } from '../support/server-interop.js';

const available = haveTool('smbtorture');
if (!available) console.log('# smbtorture not found; apt-get install smbclient samba-testsuite enables the interop tests');

const PASSING = [
  'valid-request', 'rw-shared', 'rw-exclusive', 'auto-unlock', 'lock', 'errorcode', 'zerobytelength', 'zerobyteread',
  'unlock', 'multiple-unlock', 'stacking', 'contend', 'context', 'range', 'overlap', 'truncate',
  'replay_smb3_specification_durable', 'replay_smb3_specification_multi',
];
// Skips itself once the server checks LockSequence for every handle on SMB 3 (as Samba does);
// a server that checks none fails it.
const SKIPPING = ['replay_broken_windows'];

let f: ServerFixture;
let result: RunResult;
before(async () => {
  if (!available) return;
  f = await startServer();
  const names = [...PASSING, ...SKIPPING].map((t) => `smb2.lock.${t}`);
  result = await run('smbtorture', [`//127.0.0.1/share`, '-p', String(f.port), '-U', `${TEST_USER}%${TEST_PASSWORD}`, ...names], 170_000);
});
after(async () => {
  if (available) await f.close();
});

/** What smbtorture said about one subtest: "success: name", "failure: name [...]" or "skip: name [...]". */
function verdict(name: string): string {
  const out = result.stdout + result.stderr;
  const line = new RegExp(`^(success|failure|error|skip): ${name}\\b`, 'm').exec(out);
  return line ? line[1] : 'missing';
}

function details(name: string): string {
  const out = result.stdout + result.stderr;
  const at = out.indexOf(`test: ${name}\n`);
  return at < 0 ? out.slice(-3000) : out.slice(at, at + 3000);
}

for (const name of PASSING) {
  test(`smbtorture smb2.lock.${name} passes`, { skip: !available }, () => {
    assert.equal(verdict(name), 'success', details(name));
  });
}

for (const name of SKIPPING) {
  test(`smbtorture smb2.lock.${name} skips itself (LockSequence is checked for every SMB 3 handle)`, { skip: !available }, () => {
    assert.equal(verdict(name), 'skip', details(name));
    assert.match(details(name), /implements LockSequence for all handles/);
  });
}
