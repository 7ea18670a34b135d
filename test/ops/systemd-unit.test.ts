// The shipped systemd unit (packaging/spliced.service) as `spliced install-service` writes
// it: systemd's own parser accepts every line, and it carries what SMB Direct needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../..');
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));

function spliced(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), ...args], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** systemd's unit syntax: sections, Key=Value, repeated keys kept in order, # and ; comments. */
function parseUnit(text: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    assert.ok(kv && current, `a Key=Value line inside a section: ${raw}`);
    current.push([kv[1]!, kv[2]!]);
  }
  return sections;
}

test('install-service writes the unit with this machine\'s paths; systemd-analyze verify accepts it', { timeout: 90_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'spliced-unit-'));
  try {
    const conf = join(work, 'spliced.conf');
    const r = spliced(['install-service', '--unit-dir', work, '--config', conf, '--user', 'smbsvc']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^wrote ${join(work, 'spliced.service')}\n`));
    assert.match(r.stdout, /useradd --system .* smbsvc\n/);
    assert.match(r.stdout, /systemctl daemon-reload && systemctl enable --now spliced/);
    const unit = readFileSync(join(work, 'spliced.service'), 'utf8');
    assert.doesNotMatch(unit, /@[A-Z]+@/, 'every placeholder filled');
    const service = new Map(parseUnit(unit).get('Service'));
    assert.equal(service.get('ExecStart'), `${process.execPath} ${join(repo, 'dist/cli/main.js')} serve --config ${conf}`);
    assert.equal(service.get('User'), 'smbsvc');
    if (analyze) {
      const v = spawnSync(analyze, ['verify', join(work, 'spliced.service')], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(v.status, 0, v.stderr);
      assert.equal(v.stderr.trim(), '', 'systemd parses every line without a complaint');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

test('the unit gives SMB Direct what it needs and keeps hardening that does not break RDMA', () => {
  const r = spliced(['install-service', '--print']);
  assert.equal(r.code, 0, r.stderr);
  const unit = parseUnit(r.stdout);
  assert.deepEqual([...unit.keys()], ['Unit', 'Service', 'Install']);
  const service = new Map(unit.get('Service'));
  assert.equal(service.get('User'), 'spliced', 'a dedicated account, never root');
  assert.deepEqual(service.get('AmbientCapabilities')?.split(/\s+/).sort(), ['CAP_IPC_LOCK', 'CAP_NET_BIND_SERVICE']);
  assert.deepEqual(service.get('CapabilityBoundingSet')?.split(/\s+/).sort(), ['CAP_IPC_LOCK', 'CAP_NET_BIND_SERVICE']);
  assert.equal(service.get('LimitMEMLOCK'), 'infinity');
  assert.equal(service.get('Restart'), 'on-failure');
  assert.equal(service.get('ExecReload'), '/bin/kill -HUP $MAINPID');
  assert.ok(Number(service.get('TimeoutStopSec')) > 20, 'longer than serve\'s own 20 s shutdown bound');
  assert.equal(service.get('NoNewPrivileges'), 'yes');
  assert.match(service.get('RestrictAddressFamilies') ?? '', /\bAF_NETLINK\b/, 'rdma-core talks RDMA netlink');
  for (const breaksRdma of ['PrivateDevices', 'DevicePolicy', 'DeviceAllow', 'ProtectClock', 'MemoryDenyWriteExecute', 'SystemCallFilter']) {
    assert.ok(!service.has(breaksRdma), `${breaksRdma} would break /dev/infiniband or Node`);
  }
  assert.equal(new Map(unit.get('Install')).get('WantedBy'), 'multi-user.target');
  assert.match(new Map(unit.get('Unit')).get('After') ?? '', /\brdma-hw\.target\b/);
});

test('install-service refuses root and paths systemd would split', () => {
  let r = spliced(['install-service', '--print', '--user', 'root']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^spliced: "root" is not a usable service account/);
  r = spliced(['install-service', '--print', '--config', '/etc/my spliced.conf']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^spliced: the config path "\/etc\/my spliced\.conf" must be absolute, without spaces/);
  assert.equal(r.stdout, '');
});
