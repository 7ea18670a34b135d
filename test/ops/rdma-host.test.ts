// What serve learns about the RDMA host: devices and the netdevs they run over (sysfs, fake
// trees here), which configured interfaces become RDMA_CAPABLE, and RLIMIT_MEMLOCK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { linkSpeedOf, netdevsOf, probeRdma, sysfsAt } from '../../ops/rdma-devices.js';
import { advertisedInterfaces } from '../../ops/advertised-interfaces.js';
import { CAP_NET_BIND_SERVICE, hasCapability, hasIpcLockCapability, memlockTarget, raiseMemlock, MEMLOCK_MARGIN_BYTES, type MemlockLimit } from '../../ops/memlock.js';
import { startFailureLine } from '../../ops/smbdirect-start.js';
import { loadFsBinding } from '../../native/fs.js';
import type { RdmaBinding } from '../../native/binding.js';

/** A fake /sys: each key a file path, each value its content (as the kernel writes it, with a newline). */
function fakeSysfs(files: Record<string, string>): { root: string; done: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'spliced-sysfs-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, done: () => rmSync(root, { recursive: true, force: true }) };
}

const IB = 'class/infiniband';

test('netdevs of a device: rxe parent, RoCE GID ndevs (unset GIDs skipped), PCI siblings; union sorted', () => {
  const sys = fakeSysfs({
    [`${IB}/rxe0/parent`]: 'dummy0\n',
    [`${IB}/rxe0/ports/1/gid_attrs/ndevs/0`]: 'dummy0\n',
    [`${IB}/rxe0/ports/1/gid_attrs/ndevs/1`]: '',
    [`${IB}/mlx5_0/ports/1/gid_attrs/ndevs/0`]: 'enp1s0f0\n',
    [`${IB}/mlx5_0/ports/1/gid_attrs/ndevs/3`]: 'vlan100\n',
    [`${IB}/mlx5_0/ports/2/gid_attrs/ndevs/0`]: 'enp1s0f1\n',
    [`${IB}/mlx5_0/device/net/enp1s0f0/address`]: '00:11:22:33:44:55\n',
    [`${IB}/iwp0/device/net/eth7/address`]: '00:11:22:33:44:66\n',
    [`${IB}/ib_only/ports/1/state`]: '4: ACTIVE\n',
    'class/net/enp1s0f0/speed': '100000\n',
    'class/net/dummy0/speed': '-1\n',
  });
  try {
    const reader = sysfsAt(sys.root);
    assert.deepEqual(netdevsOf('rxe0', reader), ['dummy0']);
    assert.deepEqual(netdevsOf('mlx5_0', reader), ['enp1s0f0', 'enp1s0f1', 'vlan100']);
    assert.deepEqual(netdevsOf('iwp0', reader), ['eth7']);
    assert.deepEqual(netdevsOf('ib_only', reader), [], 'plain IB without IPoIB carries no netdev');
    assert.deepEqual(netdevsOf('absent', reader), []);
    assert.equal(linkSpeedOf('enp1s0f0', reader), 100e9);
    assert.equal(linkSpeedOf('dummy0', reader), undefined, '-1 means unknown');
    assert.equal(linkSpeedOf('nope', reader), undefined);
  } finally {
    sys.done();
  }
});

test('the probe: device names from the addon with their netdevs, or one line saying what is missing', () => {
  const sys = fakeSysfs({ [`${IB}/rxe0/parent`]: 'eth1\n' });
  try {
    const withDevices = { getDeviceNames: () => ['rxe0'] } as unknown as RdmaBinding;
    assert.deepEqual(probeRdma({ load: () => ({ binding: withDevices }), sysfs: sysfsAt(sys.root) }), { devices: [{ name: 'rxe0', netdevs: ['eth1'] }] });
    const none = { getDeviceNames: () => [] } as unknown as RdmaBinding;
    assert.match((probeRdma({ load: () => ({ binding: none }) }) as { error: string }).error, /^no RDMA device \(e\.g\. modprobe rdma_rxe; rdma link add/);
    assert.deepEqual(probeRdma({ load: () => ({ error: 'the RDMA addon is not built' }) }), { error: 'the RDMA addon is not built' });
    const failing = { getDeviceNames: () => { throw Object.assign(new Error('ibv_get_device_list: EACCES\nmore'), { code: 'EACCES' }); } } as unknown as RdmaBinding;
    assert.deepEqual(probeRdma({ load: () => ({ binding: failing }) }), { error: 'cannot list RDMA devices: ibv_get_device_list: EACCES' });
  } finally {
    sys.done();
  }
});

test('this host (no RDMA device here, or one in the VM): the real probe answers with devices or one line', () => {
  const probe = probeRdma();
  if ('error' in probe) assert.doesNotMatch(probe.error, /\n/);
  else for (const d of probe.devices) assert.match(d.name, /^\S+$/);
});

const local = {
  lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' }],
  eth1: [
    { address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:00:00:01', internal: false, cidr: '192.0.2.10/24' },
    { address: 'fd00::10', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '52:54:00:00:00:01', internal: false, cidr: 'fd00::10/64', scopeid: 0 },
  ],
  eth2: [{ address: '198.51.100.7', netmask: '255.255.255.0', family: 'IPv4', mac: '52:54:00:00:00:02', internal: false, cidr: '198.51.100.7/24' }],
} as const satisfies NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>;

test('advertised interfaces: RDMA_CAPABLE only while SMB Direct listens, from the device netdevs or capability=RDMA', () => {
  const cfg = [
    { address: '192.0.2.10', speed: 25e9, rdmaCapable: false, rssCapable: true },
    { address: 'FD00::10', speed: 25e9, rdmaCapable: false, rssCapable: false },
    { address: '198.51.100.7', speed: 1e9, rdmaCapable: false, rssCapable: false },
    { address: '203.0.113.1', speed: 1e9, rdmaCapable: true, rssCapable: false },
  ];
  const devices = [{ name: 'rxe0', netdevs: ['eth1'] }];
  assert.deepEqual(advertisedInterfaces(cfg, devices, local).map((i) => i.rdmaCapable), [true, true, false, true]);
  assert.deepEqual(advertisedInterfaces(cfg, undefined, local).map((i) => i.rdmaCapable), [false, false, false, false], 'not listening: no RDMA bit, even when configured');
  assert.deepEqual(advertisedInterfaces(cfg, devices, local).map((i) => [i.address, i.speed, i.rssCapable]), cfg.map((i) => [i.address, i.speed, i.rssCapable]));
  assert.deepEqual(advertisedInterfaces([], devices, local), [], 'nothing configured, nothing advertised (a list would announce multichannel)');
  assert.deepEqual(cfg[0]!.rdmaCapable, false, 'the configured list is not changed in place');
});

function fakeLimit(soft: number, hard: number, canRaiseHard: boolean): MemlockLimit & { calls: Array<[number, number]>; now: () => [number, number] } {
  let cur: [number, number] = [soft, hard];
  const calls: Array<[number, number]> = [];
  return {
    calls,
    now: () => cur,
    get: () => ({ soft: cur[0], hard: cur[1] }),
    set(s, h) {
      calls.push([s, h]);
      if (s > h || (h > cur[1] && !canRaiseHard)) throw Object.assign(new Error('setrlimit: Operation not permitted'), { code: 'EPERM' });
      cur = [s, h];
    },
  };
}

test('RLIMIT_MEMLOCK: raised to cache size + margin, never lowered, advice in one line when it cannot be', () => {
  const MiB = 1024 * 1024;
  const target = memlockTarget(256 * MiB);
  assert.equal(target, 256 * MiB + MEMLOCK_MARGIN_BYTES);
  const root = fakeLimit(8 * MiB, 8 * MiB, true);
  assert.deepEqual(raiseMemlock(root, target), { ok: true, limit: target, raised: true });
  assert.deepEqual(root.now(), [target, target]);
  const roomy = fakeLimit(8 * MiB, Infinity, false);
  assert.deepEqual(raiseMemlock(roomy, target), { ok: true, limit: target, raised: true });
  assert.deepEqual(roomy.now(), [target, Infinity], 'the hard limit is kept');
  const unlimited = fakeLimit(Infinity, Infinity, false);
  assert.deepEqual(raiseMemlock(unlimited, target), { ok: true, limit: Infinity, raised: false });
  assert.deepEqual(unlimited.calls, []);
  const user = fakeLimit(8 * MiB, 64 * MiB, false);
  const r = raiseMemlock(user, target);
  assert.equal(r.ok, false);
  assert.deepEqual(user.now(), [64 * MiB, 64 * MiB], 'the soft limit goes as high as the hard one allows');
  assert.ok(!r.ok && /^RLIMIT_MEMLOCK is 64 MiB but SMB Direct registers up to 512 MiB .*ulimit -l unlimited.*LimitMEMLOCK=infinity/.test(r.line), !r.ok ? r.line : '');
  assert.doesNotMatch(!r.ok ? r.line : '', /\n/);
});

test('a listener that fails registering with ENOMEM gives one line naming ulimit -l and LimitMEMLOCK', () => {
  const enomem = Object.assign(new Error('ibv_reg_mr: Cannot allocate memory'), { code: 'ENOMEM' });
  const line = startFailureLine(enomem, 8 * 1024 * 1024, memlockTarget(0));
  assert.match(line, /^SMB Direct did not start: ibv_reg_mr: Cannot allocate memory; RLIMIT_MEMLOCK is 8 MiB .*ulimit -l.*LimitMEMLOCK=.*; serving TCP only$/);
  const explained = new Error('registering the cache failed (ENOMEM): raise ulimit -l or LimitMEMLOCK=\nstack');
  assert.equal(startFailureLine(explained, 0, 0), 'SMB Direct did not start: registering the cache failed (ENOMEM): raise ulimit -l or LimitMEMLOCK=; serving TCP only');
  assert.equal(startFailureLine(enomem, Infinity, 0), 'SMB Direct did not start: ibv_reg_mr: Cannot allocate memory; serving TCP only', 'no limit: nothing to raise');
  assert.match(startFailureLine(enomem, undefined, memlockTarget(0)), /RLIMIT_MEMLOCK is unknown but SMB Direct registers up to 256 MiB/);
  assert.equal(startFailureLine(new Error('rdma_bind_addr: EADDRINUSE'), 0, 0), 'SMB Direct did not start: rdma_bind_addr: EADDRINUSE; serving TCP only');
});

test('capabilities are read from CapEff: CAP_IPC_LOCK bit 14, CAP_NET_BIND_SERVICE bit 10', () => {
  assert.equal(hasIpcLockCapability('Name:\tx\nCapEff:\t0000000000004000\n'), true);
  assert.equal(hasIpcLockCapability('CapEff:\t000001ffffffbfff\n'), false);
  assert.equal(hasIpcLockCapability('CapEff:\t0000000000000000\n'), false);
  assert.equal(typeof hasIpcLockCapability(), 'boolean');
  assert.equal(hasCapability(CAP_NET_BIND_SERVICE, 'CapEff:\t0000000000000400\n'), true);
  assert.equal(hasCapability(CAP_NET_BIND_SERVICE, 'CapEff:\t0000000000004000\n'), false);
  assert.equal(hasCapability(CAP_NET_BIND_SERVICE, 'no such line'), false);
});

test('the spliced_fs addon reads and sets RLIMIT_MEMLOCK (lowering the soft limit needs no privilege)', () => {
  const fs = loadFsBinding();
  assert.ok('binding' in fs, 'error' in fs ? fs.error : '');
  const { binding } = fs;
  const resource = binding.constants.RLIMIT_MEMLOCK;
  const before = binding.getrlimit(resource);
  assert.ok(before.soft <= before.hard && before.soft > 0);
  const lower = before.soft === Infinity ? 64 * 1024 * 1024 : before.soft - 4096;
  try {
    binding.setrlimit(resource, lower, before.hard);
    assert.deepEqual(binding.getrlimit(resource), { soft: lower, hard: before.hard });
    if (before.hard !== Infinity) {
      assert.throws(() => binding.setrlimit(resource, before.hard + 1, before.hard), (e: NodeJS.ErrnoException) => e.code === 'EINVAL' && e.syscall === 'setrlimit', 'soft above hard');
    }
    assert.throws(() => binding.setrlimit(resource, -1, before.hard), TypeError);
  } finally {
    binding.setrlimit(resource, before.soft, before.hard);
  }
  assert.deepEqual(binding.getrlimit(resource), before);
});
