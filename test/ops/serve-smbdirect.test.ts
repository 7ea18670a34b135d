// `serve` with SMB Direct, in process with a fake RDMA host and a fake listener (the real one
// runs in the VM suite): what it hands the listener, the order of shutdown, the interfaces it
// advertises, the status page's data, and the one line when SMB Direct cannot start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSpliced, type RunningSpliced } from '../../ops/serve.js';
import type { SmbDirectListenerFactory, SmbDirectListenerOptions } from '../../ops/smbdirect-hook.js';
import type { SmbDirectDeps } from '../../ops/smbdirect-start.js';
import type { StatusDocument } from '../../ops/http.js';
import type { Transport, TransportListener } from '../../server/transport.js';
import type { PageCache } from '../../cache/index.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Command, Dialect, Fsctl, IoctlFlag } from '../../smb2/constants.js';
import { decodeIoctlResponse, encodeIoctlRequest } from '../../smb2/commands/ioctl.js';
import { decodeNetworkInterfaceInfo } from '../../smb2/commands/fsctl.js';
import { MemoryRegistry, memoryTransportPair } from '../support/server-memory-transport.js';
import { parsePromText, sampleSum } from '../support/prom-text.js';
import { freePort } from '../support/net.js';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function logSink(): { stream: Writable & { write(chunk: string): boolean }; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { stream, lines };
}

/** A listener standing in for smbdirect/: hands out in-memory 'rdma' transports and records what happens. */
class FakeRdmaListener implements TransportListener {
  readonly kind = 'rdma' as const;
  private accept?: (t: Transport) => void;
  constructor(private readonly events: string[], private readonly port: number) {}

  async listen(onConnection: (t: Transport) => void): Promise<{ port: number }> {
    this.events.push('listener.listen');
    this.accept = onConnection;
    return { port: this.port };
  }

  /** A new client connection; `name` tags its disconnect in the events. */
  connect(name: string) {
    const pair = memoryTransportPair(new MemoryRegistry());
    const disconnect = pair.server.disconnect;
    pair.server.disconnect = () => {
      this.events.push(`${name}.disconnect`);
      disconnect();
    };
    this.accept!(pair.server);
    return pair.client;
  }

  async close(): Promise<void> {
    this.events.push('listener.close');
    await new Promise((r) => setTimeout(r, 30)); // flushing work requests, destroying QPs, CQs, MRs, the PD
    this.events.push('listener.released');
  }
}

/** Record the cache's flush, shutdown and slab release (once each). */
function spyOnCache(cache: PageCache, events: string[]): void {
  const once = (name: string) => !events.includes(name) && events.push(name);
  const { flushAll, shutdown, destroy } = cache;
  cache.flushAll = function (this: PageCache) {
    once('cache.flush');
    return flushAll.call(this);
  };
  cache.shutdown = function (this: PageCache) {
    once('cache.shutdown');
    return shutdown.call(this);
  };
  cache.destroy = function (this: PageCache) {
    once('cache.destroy');
    destroy.call(this);
  };
}

interface Fixture {
  work: string;
  conf: string;
  tcpPort: number;
}

async function fixture(extraGlobal: string[]): Promise<Fixture> {
  const work = mkdtempSync(join(tmpdir(), 'spliced-smbd-serve-'));
  mkdirSync(join(work, 'share'));
  writeFileSync(join(work, 'share', 'data.bin'), Buffer.alloc(256 * 1024, 0x3c));
  const tcpPort = await freePort();
  const conf = join(work, 'spliced.conf');
  writeFileSync(conf, [
    '[global]', `  tcp port = ${tcpPort}`, '  metrics address = 127.0.0.1:0', '  user = root', '  cache size = 64M',
    '  interfaces = "127.0.0.1" "127.0.0.2;capability=RSS"', ...extraGlobal,
    '[pub]', `  path = ${join(work, 'share')}`, '  guest ok = yes', '',
  ].join('\n'));
  return { work, conf, tcpPort };
}

async function fetchJson<T>(running: RunningSpliced, path: string): Promise<T> {
  return (await fetch(`http://127.0.0.1:${running.metricsAddress.port}${path}`)).json() as Promise<T>;
}

async function advertised(tcpPort: number) {
  const c = await Smb2Client.connect({ port: tcpPort, dialects: [Dialect.SMB3_0] });
  try {
    await c.login({ anonymous: true });
    const ipc = await c.treeConnect('IPC$');
    const noFile = { persistent: 0xffffffffffffffffn, volatile: 0xffffffffffffffffn };
    const body = encodeIoctlRequest({ ctlCode: Fsctl.QUERY_NETWORK_INTERFACE_INFO, fileId: noFile, input: Buffer.alloc(0), maxInputResponse: 0, maxOutputResponse: 65536, flags: IoctlFlag.IS_FSCTL });
    const r = await c.request(Command.IOCTL, body, { treeId: ipc.treeId });
    return decodeNetworkInterfaceInfo(decodeIoctlResponse(r.reader).output).map((i) => [i.address, i.rdmaCapable]);
  } finally {
    c.close();
  }
}

const RXE_ON_LO: SmbDirectDeps['probe'] = () => ({ devices: [{ name: 'rxe0', netdevs: ['lo'] }] });

test('SMB Direct listening: options handed over, memlock raised first, RDMA_CAPABLE on the device\'s address, status, then shutdown in order', { timeout: 60_000 }, async () => {
  const f = await fixture(['  rdma zero copy = no']);
  const events: string[] = [];
  const memlockCalls: Array<[number, number]> = [];
  let given: SmbDirectListenerOptions | undefined;
  let listener: FakeRdmaListener | undefined;
  const factory: SmbDirectListenerFactory = (options) => {
    events.push('factory');
    given = options;
    spyOnCache(options.cache!, events);
    return (listener = new FakeRdmaListener(events, options.port));
  };
  const deps: SmbDirectDeps = {
    probe: RXE_ON_LO,
    loadFactory: async () => factory,
    keepsIpcLock: false,
    memlock: {
      get: () => ({ soft: 8 << 20, hard: 8 << 20 }),
      set: (soft, hard) => {
        events.push('memlock.set');
        memlockCalls.push([soft, hard]);
      },
    },
  };
  const logs = logSink();
  const running = await startSpliced({ configPath: f.conf, announce: () => {}, logDestination: logs.stream, smbDirect: deps });
  try {
    assert.deepEqual(events, ['memlock.set', 'factory', 'listener.listen'], 'memlock is raised before the listener registers anything');
    assert.deepEqual(memlockCalls, [[64 * 1024 * 1024 + 256 * 1024 * 1024, 64 * 1024 * 1024 + 256 * 1024 * 1024]]);
    assert.equal(given!.port, 5445, 'rdma port unset: 5445 on a host with a device');
    assert.equal(given!.zeroCopy, false, 'rdma zero copy = no');
    assert.equal(given!.maxIoSize, 8 * 1024 * 1024);
    assert.deepEqual(given!.addresses, ['0.0.0.0']);
    assert.ok(given!.cache, 'the page cache, whose slabs the listener registers');
    assert.deepEqual(running.smbDirect, { state: 'listening', port: 5445, devices: [{ name: 'rxe0', netdevs: ['lo'] }], zeroCopy: false });
    const listening = logs.lines.filter((l) => /SMB Direct/.test(l.msg));
    assert.equal(listening.length, 1, JSON.stringify(listening));
    assert.deepEqual([listening[0]!.msg, listening[0]!.devices, listening[0]!.rdmaPort], ['listening on SMB Direct', ['rxe0(lo)'], 5445]);

    assert.deepEqual(await advertised(f.tcpPort), [['127.0.0.1', true], ['127.0.0.2', false]], 'RDMA_CAPABLE on the address of the netdev carrying rxe0');

    const client = await Smb2Client.connect({ port: 0, transport: listener!.connect('conn'), dialects: [Dialect.SMB3_0] });
    await client.login({ anonymous: true });
    const tree = await client.treeConnect('pub');
    assert.equal((await tree.readFile('data.bin')).length, 256 * 1024);
    const status = await fetchJson<StatusDocument>(running, '/status');
    assert.deepEqual(status.connectionsByTransport, { tcp: 0, rdma: 1 });
    assert.deepEqual(status.smbDirect, { state: 'listening', port: 5445, devices: [{ name: 'rxe0', netdevs: ['lo'] }], zeroCopy: false });
    const metrics = parsePromText(await (await fetch(`http://127.0.0.1:${running.metricsAddress.port}/metrics`)).text());
    assert.equal(sampleSum(metrics, 'spliced_connections', { transport: 'rdma' }), 1);
    assert.equal(sampleSum(metrics, 'spliced_read_bytes_total', { transport: 'rdma' }), 256 * 1024);

    const closing = running.close();
    listener!.connect('late');
    assert.equal(events.at(-1), 'late.disconnect', 'a connection arriving once shutdown began is dropped at once');
    await closing;
    const order = events.filter((e) => ['conn.disconnect', 'listener.close', 'listener.released', 'cache.flush', 'cache.shutdown', 'cache.destroy'].includes(e));
    assert.deepEqual(order, ['conn.disconnect', 'listener.close', 'listener.released', 'cache.flush', 'cache.shutdown', 'cache.destroy'],
      'stop accepting, drain and disconnect, release the verbs resources, flush the cache, then free the slabs');
  } finally {
    await running.close();
    rmSync(f.work, { recursive: true, force: true });
  }
});

test('a listener failing with ENOMEM: one line naming ulimit -l and LimitMEMLOCK, TCP keeps serving, no RDMA_CAPABLE', { timeout: 60_000 }, async () => {
  const f = await fixture(['  rdma port = 5445']);
  writeFileSync(f.conf, readFileSync(f.conf, 'utf8').replace('"127.0.0.1"', '"127.0.0.1;capability=RDMA"'));
  const logs = logSink();
  const factory: SmbDirectListenerFactory = () => {
    throw Object.assign(new Error('ibv_reg_mr: Cannot allocate memory'), { code: 'ENOMEM' });
  };
  const running = await startSpliced({
    configPath: f.conf, announce: () => {}, logDestination: logs.stream,
    smbDirect: { probe: RXE_ON_LO, loadFactory: async () => factory, keepsIpcLock: false, memlock: { get: () => ({ soft: 8 << 20, hard: 8 << 20 }), set: () => { throw new Error('EPERM'); } } },
  });
  try {
    const about = logs.lines.filter((l) => /SMB Direct|RLIMIT_MEMLOCK/.test(l.msg));
    assert.equal(about.length, 2, JSON.stringify(about));
    assert.match(about[0]!.msg, /^RLIMIT_MEMLOCK is 8 MiB but SMB Direct registers up to 320 MiB/, 'the limit is said up front');
    assert.match(about[1]!.msg, /^SMB Direct did not start: ibv_reg_mr: Cannot allocate memory; .*ulimit -l.*LimitMEMLOCK=.*; serving TCP only$/);
    assert.equal(about[1]!.level, 40, 'a warning: rdma port was set explicitly');
    assert.equal(running.smbDirect.state, 'unavailable');
    assert.deepEqual(await advertised(f.tcpPort), [['127.0.0.1', false], ['127.0.0.2', false]], 'capability=RDMA is not advertised while SMB Direct is not listening');
    const status = await fetchJson<StatusDocument>(running, '/status');
    assert.equal(status.smbDirect?.state, 'unavailable');
    assert.match(status.smbDirect?.reason ?? '', /ulimit -l/);
  } finally {
    await running.close();
    rmSync(f.work, { recursive: true, force: true });
  }
});

test('rdma port unset on a host without RDMA: one info line, nothing else tried; rdma port = 0: not a word', { timeout: 60_000 }, async () => {
  for (const [extra, expected] of [[[], 'SMB Direct off: no RDMA device here; serving TCP only'], [['  rdma port = 0'], undefined]] as const) {
    const f = await fixture([...extra]);
    const logs = logSink();
    let loaded = false;
    const running = await startSpliced({
      configPath: f.conf, announce: () => {}, logDestination: logs.stream,
      smbDirect: { probe: () => ({ error: 'no RDMA device here' }), loadFactory: async () => ((loaded = true), 'unused') },
    });
    try {
      const about = logs.lines.filter((l) => /SMB Direct/.test(l.msg));
      assert.deepEqual(about.map((l) => [l.msg, l.level]), expected ? [[expected, 30]] : []);
      assert.equal(loaded, false, 'the module is not loaded without a device');
      assert.equal(running.smbDirect.state, expected ? 'unavailable' : 'off');
      const started = logs.lines.find((l) => l.msg === 'spliced started');
      assert.equal(started?.rdmaPort, 0);
    } finally {
      await running.close();
      rmSync(f.work, { recursive: true, force: true });
    }
  }
});

test('a listener that cannot listen (port taken) is closed again, one warning line, TCP keeps serving', { timeout: 60_000 }, async () => {
  const f = await fixture(['  rdma port = 445']);
  const events: string[] = [];
  const logs = logSink();
  const factory: SmbDirectListenerFactory = (options) => {
    const l = new FakeRdmaListener(events, options.port);
    l.listen = async () => {
      events.push('listener.listen');
      throw Object.assign(new Error('rdma_bind_addr: Address already in use'), { code: 'EADDRINUSE' });
    };
    return l;
  };
  const running = await startSpliced({
    configPath: f.conf, announce: () => {}, logDestination: logs.stream,
    smbDirect: { probe: RXE_ON_LO, loadFactory: async () => factory, keepsIpcLock: true, canBindLowPorts: true },
  });
  try {
    assert.deepEqual(events, ['listener.listen', 'listener.close', 'listener.released'], 'what it opened is given back');
    const about = logs.lines.filter((l) => /SMB Direct/.test(l.msg));
    assert.deepEqual(about.map((l) => [l.msg, l.level, l.rdmaPort]), [['SMB Direct did not start: rdma_bind_addr: Address already in use; serving TCP only', 40, 445]]);
    const c = await Smb2Client.connect({ port: f.tcpPort, dialects: [Dialect.SMB3_0] });
    c.close();
  } finally {
    await running.close();
    rmSync(f.work, { recursive: true, force: true });
  }
  assert.equal(events.filter((e) => e === 'listener.close').length, 1, 'closed once, not again at shutdown');
});

test('SIGHUP reload keeps RDMA_CAPABLE on the new interface list; changing rdma port says a restart is needed', { timeout: 60_000 }, async () => {
  const f = await fixture([]);
  const logs = logSink();
  const factory: SmbDirectListenerFactory = (options) => new FakeRdmaListener([], options.port);
  const running = await startSpliced({
    configPath: f.conf, announce: () => {}, logDestination: logs.stream,
    smbDirect: { probe: RXE_ON_LO, loadFactory: async () => factory, keepsIpcLock: true },
  });
  try {
    assert.deepEqual(await advertised(f.tcpPort), [['127.0.0.1', true], ['127.0.0.2', false]]);
    writeFileSync(f.conf, readFileSync(f.conf, 'utf8').replace('"127.0.0.1" "127.0.0.2;capability=RSS"', '"127.0.0.3;capability=RDMA" "127.0.0.1"').replace('[global]', '[global]\n  rdma port = 6000'));
    assert.equal(running.reload(), true);
    assert.deepEqual(await advertised(f.tcpPort), [['127.0.0.3', true], ['127.0.0.1', true]]);
    assert.ok(logs.lines.some((l) => l.msg === '"rdma port" or "rdma zero copy" changed; a restart is needed to apply it'));
    assert.equal(running.smbDirect.port, 5445, 'still listening where it started');
  } finally {
    await running.close();
    rmSync(f.work, { recursive: true, force: true });
  }
});

test('rdma port below 1024 without CAP_NET_BIND_SERVICE: one warning line naming the remedy, no listener tried', { timeout: 60_000 }, async () => {
  const f = await fixture(['  rdma port = 445']);
  const logs = logSink();
  let loaded = false;
  const running = await startSpliced({
    configPath: f.conf, announce: () => {}, logDestination: logs.stream,
    smbDirect: { probe: RXE_ON_LO, loadFactory: async () => ((loaded = true), 'unused'), canBindLowPorts: false },
  });
  try {
    const about = logs.lines.filter((l) => /SMB Direct/.test(l.msg));
    assert.deepEqual(about.map((l) => [l.msg, l.level]), [[
      'SMB Direct off: rdma port 445 needs CAP_NET_BIND_SERVICE (start spliced as root, or give it AmbientCapabilities=CAP_NET_BIND_SERVICE), or use 5445; serving TCP only', 40,
    ]]);
    assert.equal(loaded, false);
    assert.equal(running.smbDirect.state, 'unavailable');
  } finally {
    await running.close();
    rmSync(f.work, { recursive: true, force: true });
  }
});
