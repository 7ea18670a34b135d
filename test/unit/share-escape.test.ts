// Issue 9 findings 1 and 2: no way out of the share by racing path resolution, and no
// operation on an open handle that goes through its (since replaced) name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readdir, rename, stat, symlink, writeFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { parseDirectoryInformation } from '../../client/tree.js';
import { Writer } from '../../wire/index.js';
import { Access, CreateOption, Dialect, InfoType } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { SmbError } from '../../client/connection.js';

const FILE_DIRECTORY_INFORMATION = 0x01; // [MS-FSCC] 2.4.10
const FILE_BASIC_INFORMATION = 0x04; // [MS-FSCC] 2.4.7
const FILE_DISPOSITION_INFORMATION = 0x0d; // [MS-FSCC] 2.4.11
const FILE_ATTRIBUTE_READONLY = 0x1;

let f: ServerFixture;
let outside: string;
before(async () => {
  f = await startServer();
  outside = await mkdtemp(path.join(tmpdir(), 'spliced-outside-'));
  await writeFile(path.join(outside, 'secret'), 'SECRET-OUTSIDE');
  await chmod(outside, 0o755);
});
after(async () => {
  await f.close();
  await rm(outside, { recursive: true, force: true });
});

async function login(): Promise<Smb2Client> {
  const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD });
  return c;
}

/** A separate process that keeps swapping `race` between a real directory and a symlink to `outside`. */
function startSwapper(share: string): { stop(): Promise<void> } {
  const script = `
    const fs = require('node:fs'); const p = require('node:path');
    const [share] = process.argv.slice(1);
    const race = p.join(share, 'race'), dir = p.join(share, 'race.dir'), link = p.join(share, 'race.link');
    for (;;) { fs.renameSync(dir, race); fs.renameSync(race, dir); fs.renameSync(link, race); fs.renameSync(race, link); }`;
  const child = spawn(process.execPath, ['-e', script, share], { stdio: 'ignore' });
  return {
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}

test('finding 1: racing race/ between a directory and a symlink out never yields the outside secret', async () => {
  await mkdir(path.join(f.dir, 'race.dir'));
  await writeFile(path.join(f.dir, 'race.dir', 'secret'), 'inside');
  await symlink(outside, path.join(f.dir, 'race.link'));
  const clients = await Promise.all([login(), login(), login(), login()]);
  const swapper = startSwapper(f.dir);
  const deadline = Date.now() + 4000;
  let tries = 0;
  let insideReads = 0;
  const leaks: string[] = [];
  try {
    await Promise.all(clients.map(async (c) => {
      const tree = await c.treeConnect('share');
      while (Date.now() < deadline) {
        tries++;
        const data = await tree.readFile('race\\secret').catch(() => null);
        if (!data) continue;
        if (data.toString() === 'inside') insideReads++;
        else leaks.push(data.toString());
      }
    }));
  } finally {
    await swapper.stop();
    for (const c of clients) c.close();
  }
  assert.deepEqual(leaks, [], `${leaks.length} of ${tries} opens returned the file outside the share`);
  assert.ok(insideReads > 0, `the race ran (${tries} tries, ${insideReads} inside reads)`);
});

/** Replace share/<name> by a symlink to `target` (the old directory is parked beside it). */
async function swapForSymlink(name: string, target: string): Promise<void> {
  await rename(path.join(f.dir, name), path.join(f.dir, `${name}.parked`));
  await symlink(target, path.join(f.dir, name));
}

function basicInfo(attributes: number, lastWriteTime = 0n): Buffer {
  // [MS-FSCC] 2.4.7: CreationTime, LastAccessTime, LastWriteTime, ChangeTime, FileAttributes, Reserved.
  return Buffer.from(new Writer(0, 40).u64(0n).u64(0n).u64(lastWriteTime).u64(0n).u32(attributes).u32(0).finish());
}

test('finding 2: QUERY_DIRECTORY on a directory handle lists that directory, not what its name now points to', async () => {
  await mkdir(path.join(f.dir, 'listed'));
  await writeFile(path.join(f.dir, 'listed', 'mine'), 'x');
  const c = await login();
  const tree = await c.treeConnect('share');
  const h = await tree.create('listed', { desiredAccess: Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES, createOptions: CreateOption.DIRECTORY_FILE });
  await swapForSymlink('listed', outside);
  const names = parseDirectoryInformation(await tree.queryDirectory(h.fileId, '*', FILE_DIRECTORY_INFORMATION)).map((e) => e.name);
  await tree.close(h.fileId);
  c.close();
  assert.ok(!names.includes('secret'), `listed the outside directory: ${names.join(',')}`);
  assert.ok(names.includes('mine'), `listed ${names.join(',')}`);
});

test('finding 2: SET_INFO basic info on a handle changes the open file, never a file outside', async () => {
  await mkdir(path.join(f.dir, 'attrs'));
  await writeFile(path.join(f.dir, 'attrs', 'secret'), 'mine');
  const before = await stat(path.join(outside, 'secret'));
  const c = await login();
  const tree = await c.treeConnect('share');
  const h = await tree.create('attrs\\secret', { desiredAccess: Access.FILE_WRITE_ATTRIBUTES | Access.FILE_READ_ATTRIBUTES });
  await swapForSymlink('attrs', outside);
  await tree.setInfo(h.fileId, InfoType.FILE, FILE_BASIC_INFORMATION, basicInfo(FILE_ATTRIBUTE_READONLY, 116444736000000000n + 10_000_000n));
  await tree.close(h.fileId);
  c.close();
  const after = await stat(path.join(outside, 'secret'));
  assert.equal(after.mode, before.mode, 'mode of the outside file changed');
  assert.equal(after.mtimeMs, before.mtimeMs, 'mtime of the outside file changed');
  const mine = await stat(path.join(f.dir, 'attrs.parked', 'secret'));
  assert.equal(mine.mode & 0o222, 0, 'the open file itself became read-only');
  assert.equal(mine.mtimeMs, 1000, 'and got the new write time');
});

test('finding 2: delete-on-close never removes a file outside the share', async () => {
  await mkdir(path.join(f.dir, 'doomed'));
  await writeFile(path.join(f.dir, 'doomed', 'secret'), 'mine');
  const c = await login();
  const tree = await c.treeConnect('share');
  const h = await tree.create('doomed\\secret', { desiredAccess: Access.DELETE | Access.FILE_READ_ATTRIBUTES, createOptions: CreateOption.NON_DIRECTORY_FILE });
  await tree.setInfo(h.fileId, InfoType.FILE, FILE_DISPOSITION_INFORMATION, Buffer.from([1]));
  await swapForSymlink('doomed', outside);
  await tree.close(h.fileId);
  c.close();
  assert.deepEqual(await readdir(outside), ['secret'], 'the outside file was deleted');
});

test('item 10: a listing never reports the metadata of a symlink target outside the share', async () => {
  await mkdir(path.join(f.dir, 'links'));
  await writeFile(path.join(outside, 'big-secret'), Buffer.alloc(12345));
  await writeFile(path.join(f.dir, 'links', 'target.bin'), Buffer.alloc(777));
  await symlink(path.join(outside, 'big-secret'), path.join(f.dir, 'links', 'out-link'));
  await symlink(outside, path.join(f.dir, 'links', 'out-dir-link'));
  await symlink('target.bin', path.join(f.dir, 'links', 'in-link'));
  const c = await login();
  const tree = await c.treeConnect('share');
  const entries = new Map((await tree.list('links')).map((e) => [e.name, e]));
  c.close();
  assert.notEqual(entries.get('out-link')?.size, 12345, 'the outside target\'s size leaked');
  assert.equal(entries.get('out-dir-link')?.isDirectory, false, 'reported as the link itself, not the outside directory');
  assert.equal(entries.get('in-link')?.size, 777, 'a link that stays inside shows its target');
});

test('item 10: a name with a lone UTF-16 surrogate is OBJECT_NAME_INVALID, not a second name for the U+FFFD file', async () => {
  await writeFile(path.join(f.dir, 'odd\uFFFD.txt'), 'replacement-char file');
  const c = await login();
  const tree = await c.treeConnect('share');
  const lone = Buffer.from([0x6f, 0, 0x64, 0, 0x64, 0, 0x00, 0xd8, 0x2e, 0, 0x74, 0, 0x78, 0, 0x74, 0]).toString('utf16le'); // "odd\uD800.txt"
  assert.equal(Buffer.from(lone, 'utf16le').readUInt16LE(6), 0xd800, 'the client sends the lone surrogate as is');
  await assert.rejects(tree.readFile(lone), (e: unknown) => e instanceof SmbError && e.status === Status.OBJECT_NAME_INVALID);
  c.close();
});
