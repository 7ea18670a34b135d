import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { haveTool, run, recordingLogger } from '../support/server-interop.js';
import { addUser, loadUsersFile } from '../../auth/users-file.js';

const available = haveTool('smbclient');
if (!available) console.log('# smbclient not found; apt-get install smbclient samba-testsuite enables the interop tests');

const USER = 'bob';
const PASSWORD = 'interop Pa55';
let f: ServerFixture;
let work: string;
const logs: Array<Record<string, unknown>> = [];

before(async () => {
  if (!available) return;
  work = await mkdtemp(path.join(tmpdir(), 'spliced-interop-'));
  const usersFile = path.join(work, 'users');
  addUser(usersFile, USER, PASSWORD);
  f = await startServer({ users: loadUsersFile(usersFile) }, { log: recordingLogger(logs) });
});

after(async () => {
  if (!available) return;
  await f.close();
  await rm(work, { recursive: true, force: true });
});

function smbclient(mode: string, auth: string[], commands: string, extra: string[] = []) {
  return run('smbclient', [`//127.0.0.1/share`, '-p', String(f.port), '-m', mode, ...auth, ...extra, '-c', commands], 300_000);
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk);
  return h.digest('hex');
}

const users: Array<[string, string[]]> = [
  ['guest', ['-N']],
  ['user', ['-U', `${USER}%${PASSWORD}`]],
];

for (const mode of ['SMB2', 'SMB3']) {
  for (const [who, auth] of users) {
    test(`smbclient -m ${mode} as ${who}: mkdir, put, ls, rename, get, rm, rmdir`, { skip: !available }, async () => {
      const dir = `${mode}-${who}`;
      const local = path.join(work, `${dir}.txt`);
      const back = path.join(work, `${dir}.back`);
      const content = randomBytes(100_000);
      await writeFile(local, content);
      const r = await smbclient(mode, auth, `mkdir ${dir}; cd ${dir}; put ${local} a.txt; ls; rename a.txt b.txt; ls; get b.txt ${back}`);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /a\.txt\s+A\s+100000/);
      assert.match(r.stdout, /b\.txt\s+A\s+100000/);
      assert.deepEqual(await readFile(back), content);
      assert.deepEqual(await readFile(path.join(f.dir, dir, 'b.txt')), content);
      const d = await smbclient(mode, auth, `cd ${dir}; rm b.txt; cd ..; rmdir ${dir}; ls`);
      assert.equal(d.code, 0, d.stdout + d.stderr);
      await assert.rejects(stat(path.join(f.dir, dir)));
    });
  }

  test(`smbclient -m ${mode}: a 64 MiB random file round-trips byte-identical`, { skip: !available }, async () => {
    const local = path.join(work, `big-${mode}.bin`);
    const back = path.join(work, `big-${mode}.back`);
    await writeFile(local, randomBytes(64 * 1024 * 1024));
    const r = await smbclient(mode, ['-U', `${USER}%${PASSWORD}`], `put ${local} big-${mode}.bin; get big-${mode}.bin ${back}; rm big-${mode}.bin`);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await sha256(back), await sha256(local));
    await rm(local);
    await rm(back);
  });

  test(`smbclient -m ${mode}: a wrong password is refused`, { skip: !available }, async () => {
    const r = await smbclient(mode, ['-U', `${USER}%wrong`], 'ls');
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /NT_STATUS_LOGON_FAILURE/);
  });

  test(`smbclient -m ${mode} --client-protection=sign: the session is signed and works`, { skip: !available }, async () => {
    logs.length = 0;
    const local = path.join(work, `signed-${mode}.txt`);
    await writeFile(local, 'signed payload');
    const r = await smbclient(mode, ['-U', `${USER}%${PASSWORD}`], `put ${local} signed-${mode}.txt; ls`, ['--client-protection=sign']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`signed-${mode}\\.txt`));
    const sessions = logs.filter((l) => l.msg === 'session established');
    assert.ok(sessions.length > 0 && sessions.every((l) => l.signing === true), JSON.stringify(sessions));
  });
}

test('smbclient starting with an SMB1 NEGOTIATE (client min protocol = NT1) is upgraded to SMB2', { skip: !available }, async () => {
  const r = await run('smbclient', ['//127.0.0.1/share', '-p', String(f.port), '-N', '--option=client min protocol=NT1', '-m', 'SMB3', '-c', 'ls'], 60_000);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /blocks available/);
});

for (const protocol of ['SMB2_02', 'SMB2_10', 'SMB3_00', 'SMB3_02', 'SMB3_11']) {
  test(`smbclient pinned to ${protocol} with signing: put, get`, { skip: !available }, async () => {
    const local = path.join(work, `${protocol}.txt`);
    const back = path.join(work, `${protocol}.back`);
    await writeFile(local, `dialect ${protocol}`);
    const r = await smbclient(protocol, ['-U', `${USER}%${PASSWORD}`], `put ${local} ${protocol}.txt; get ${protocol}.txt ${back}; rm ${protocol}.txt`, [
      `--option=client min protocol=${protocol}`,
      '--client-protection=sign',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await readFile(back, 'utf8'), `dialect ${protocol}`);
  });
}
