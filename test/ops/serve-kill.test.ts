import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addUser } from '../../auth/users-file.js';
import { parseConfig } from '../../ops/config.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Access, CreateDisposition } from '../../smb2/constants.js';
import { freePort, waitForPort } from '../support/net.js';
import { handShareToServeUser } from '../support/serve-user.js';

const repo = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;

test('acknowledged WRITEs survive a SIGKILL of spliced serve (write-behind is off by default)', { timeout: 120_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'spliced-kill-'));
  const share = join(work, 'share');
  mkdirSync(share);
  handShareToServeUser(work, share);
  addUser(join(work, 'users'), 'bob', 'Bob-pass1');
  const port = await freePort();
  const conf = join(work, 'spliced.conf');
  writeFileSync(conf, ['[global]', `  tcp port = ${port}`, '  metrics address = 127.0.0.1:0', '  users file = users', '[data]', `  path = ${share}`, '  read only = no', ''].join('\n'));
  assert.equal(parseConfig(readFileSync(conf, 'utf8'), conf).options.writeBehind, false, 'no write cache key: write-behind is off');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'serve', '--config', conf], { cwd: repo, stdio: 'ignore' });
  const exited = new Promise((done) => child.once('exit', done));
  try {
    await waitForPort(port, 30_000);
    const c = await Smb2Client.connect({ port });
    await c.login({ user: 'bob', password: 'Bob-pass1' });
    const tree = await c.treeConnect('data');
    const keeper = await tree.create('held.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0, disposition: CreateDisposition.OVERWRITE_IF });
    const h = await tree.create('held.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0 });
    const data = randomBytes(4 * MiB);
    for (let k = 0; k < 4; k++) assert.equal(await tree.write(h.fileId, k * MiB, data.subarray(k * MiB, (k + 1) * MiB)), MiB);
    assert.ok(keeper.fileId);
    child.kill('SIGKILL');
    await exited;
    c.close();
    assert.deepEqual(readFileSync(join(share, 'held.bin')), data, 'every acknowledged byte is in the file');
  } finally {
    child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});
