// "No file operation as root" (issue 9): `spliced serve` started as root binds its ports,
// then runs as the `user` account (default nobody). Files it creates belong to that account,
// and a root-only file inside a share stays unreadable through SMB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { smbclient, smbclientMissing } from '../support/smb-core.js';
import { freePort } from '../support/net.js';
import { handShareToServeUser, nobodyIds } from '../support/serve-user.js';

const repo = resolve(import.meta.dirname, '../..');
const nobody = nobodyIds();
const skip = smbclientMissing || (process.getuid?.() !== 0 ? 'needs root (it tests the drop from root)' : false) || (nobody ? false : 'no nobody account');

test('serve as root drops to nobody after binding: new files are nobody\'s, root-only files stay unreadable', { skip, timeout: 60_000 }, async () => {
  const { uid, gid } = nobody!;
  const work = mkdtempSync(join(tmpdir(), 'spliced-drop-'));
  const share = join(work, 'share');
  mkdirSync(share);
  handShareToServeUser(work, share);
  writeFileSync(join(share, 'root-only.txt'), 'ROOT SECRET', { mode: 0o600 });
  writeFileSync(join(work, 'upload.txt'), 'from a guest');
  const port = await freePort();
  const conf = join(work, 'spliced.conf');
  writeFileSync(conf, ['[global]', `  tcp port = ${port}`, '  metrics address = 127.0.0.1:0', '[pub]', `  path = ${share}`, '  guest ok = yes', '  read only = no', ''].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'serve', '--config', conf], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    for (let i = 0; i < 600 && !/smbclient \/\/127/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /dropped root privileges/);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s+${uid}\\s+${uid}\\s+${uid}$`, 'm'), 'real, effective, saved and fs uid');
    assert.match(status, new RegExp(`^Gid:\\s+${gid}\\s+${gid}\\s+${gid}\\s+${gid}$`, 'm'));

    const put = await smbclient(port, 'pub', `put ${join(work, 'upload.txt')} made-by-guest.txt`);
    assert.equal(put.code, 0, put.out);
    const made = statSync(join(share, 'made-by-guest.txt'));
    assert.equal(made.uid, uid, 'a file created through SMB belongs to the unprivileged user');

    const get = await smbclient(port, 'pub', `get root-only.txt ${join(work, 'leaked.txt')}`);
    assert.match(get.out, /NT_STATUS_ACCESS_DENIED/, get.out);
    assert.throws(() => readFileSync(join(work, 'leaked.txt')), 'nothing was copied');
  } finally {
    child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});
