import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser, deleteUser, listUsers, loadUsersFile } from '../../auth/users-file.js';
import { ServerAuthExchange } from '../../auth/server-session-auth.js';
import { ClientAuthExchange } from '../../auth/ntlm-client.js';

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-users-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** NTOWFv1("Password") from [MS-NLMP] 4.2.2.1.2. */
const PASSWORD_HASH = 'A4F49C406510BDCAB6824EE7C30FD852';

test('a missing users file is an empty database', () => {
  withDir((dir) => {
    const path = join(dir, 'users');
    assert.deepEqual(loadUsersFile(path).list(), []);
    assert.deepEqual(listUsers(path), []);
    assert.equal(deleteUser(path, 'nobody'), false);
  });
});

test('add, list, replace, delete and reload, with mode 0600 and no temp files left', () => {
  withDir((dir) => {
    const path = join(dir, 'users');
    addUser(path, 'alice', 'Password');
    addUser(path, 'bob', 'hunter2');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(listUsers(path), ['alice', 'bob']);
    assert.equal(readFileSync(path, 'utf8').split('\n')[0], `alice:${PASSWORD_HASH}`);
    assert.deepEqual(loadUsersFile(path).lookup('ALICE')?.ntHash, Buffer.from(PASSWORD_HASH, 'hex'));

    addUser(path, 'ALICE', 'new password');
    assert.deepEqual(listUsers(path), ['ALICE', 'bob'], 'replaced in place, not appended');
    assert.notDeepEqual(loadUsersFile(path).lookup('alice')?.ntHash, Buffer.from(PASSWORD_HASH, 'hex'));

    assert.equal(deleteUser(path, 'Bob'), true);
    assert.equal(deleteUser(path, 'bob'), false);
    assert.deepEqual(listUsers(path), ['ALICE']);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['users']);
  });
});

test('comments and blank lines survive edits', () => {
  withDir((dir) => {
    const path = join(dir, 'users');
    writeFileSync(path, `# spliced users\n\nalice:${PASSWORD_HASH}\n  # indented comment\n`);
    addUser(path, 'carol', 'x');
    deleteUser(path, 'alice');
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.deepEqual(lines.slice(0, 2), ['# spliced users', '']);
    assert.equal(lines[2], '  # indented comment');
    assert.match(lines[3], /^carol:[0-9A-F]{32}$/);
  });
});

test('malformed lines and duplicates are reported with file and line number', () => {
  withDir((dir) => {
    const path = join(dir, 'users');
    writeFileSync(path, `# ok\nalice:${PASSWORD_HASH}\nbob:not-a-hash\n`);
    assert.throws(() => loadUsersFile(path), (e: Error) => e.message.startsWith(`${path}:3:`));
    assert.throws(() => addUser(path, 'carol', 'x'), (e: Error) => e.message.startsWith(`${path}:3:`), 'an edit never clobbers a bad file');
    writeFileSync(path, `alice:${PASSWORD_HASH}\nbob ${PASSWORD_HASH}\n`);
    assert.throws(() => listUsers(path), (e: Error) => e.message.startsWith(`${path}:2:`));
    writeFileSync(path, `alice:${PASSWORD_HASH}\nAlice:${PASSWORD_HASH}\n`);
    assert.throws(() => loadUsersFile(path), /users:2: duplicate user/);
    writeFileSync(path, `alice:${PASSWORD_HASH}00\n`);
    assert.throws(() => loadUsersFile(path), /users:1:/);
  });
});

test('user names with ":" or whitespace, or starting with "#", are refused', () => {
  withDir((dir) => {
    const path = join(dir, 'users');
    for (const bad of ['a:b', 'a b', 'tab\tname', '', '#root', 'new\nline']) {
      assert.throws(() => addUser(path, bad, 'pw'), /user name/, JSON.stringify(bad));
    }
    assert.deepEqual(listUsers(path), []);
  });
});

test('a user added to the file can authenticate through a reloaded database', () => {
  withDir((dir) => {
    const path = join(dir, 'users');
    addUser(path, 'dave', 'pa55 word');
    const server = new ServerAuthExchange({ users: loadUsersFile(path), serverName: 'SPLICED', domain: 'WORKGROUP' });
    const client = new ClientAuthExchange({ user: 'dave', password: 'pa55 word' });
    const step2 = server.step(client.next(server.step(client.first()).outToken));
    assert.equal(step2.done, true);
    if (step2.done) assert.equal(step2.result.user, 'dave');
  });
});
