// `spliced serve` with `rdma port` set on a host where SMB Direct cannot run (no RDMA device,
// no addon, or no smbdirect module): one log line says why, and TCP is served as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { probeRdma } from '../../ops/rdma-devices.js';
import { smbclient, smbclientMissing } from '../support/smb-core.js';
import { freePort } from '../support/net.js';

const repo = resolve(import.meta.dirname, '../..');
const probe = probeRdma();
const skip = smbclientMissing || ('devices' in probe ? 'this host has an RDMA device; the VM suite covers SMB Direct listening' : false);

test('serve with rdma port set and no RDMA device: exactly one line says so, smbclient is served over TCP, SIGTERM exits 0', { skip, timeout: 90_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'spliced-nordma-'));
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'hello.txt'), 'over tcp\n');
  const port = await freePort();
  const conf = join(work, 'spliced.conf');
  writeFileSync(conf, ['[global]', `  tcp port = ${port}`, '  rdma port = 5445', '  metrics address = 127.0.0.1:0', '  user = root',
    '[pub]', `  path = ${join(work, 'share')}`, '  guest ok = yes', ''].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'serve', '--config', conf], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    for (let i = 0; i < 600 && !/smbclient \/\/127/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const r = await smbclient(port, 'pub', `get hello.txt ${join(work, 'got.txt')}`);
    assert.equal(r.code, 0, r.out);
    const logs = err.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    const about = logs.filter((l) => /SMB Direct|RDMA|rdma/.test(l.msg));
    assert.equal(about.length, 1, err);
    assert.equal(about[0]!.msg, `SMB Direct off: ${(probe as { error: string }).error}; serving TCP only`);
    assert.equal(about[0]!.level, 40, 'a warning, since rdma port was asked for');
    child.kill('SIGTERM');
    assert.equal(await exit, 0, err);
  } finally {
    child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});
