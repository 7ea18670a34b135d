// Fairness and timeouts of the registered buffer pool (smbdirect/buffer-pool.ts): one
// connection's share is capped, a connection at its cap does not hold up the others, and a
// take that waits too long fails and reports its connection starved, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BufferPool, PoolShare, PoolWaitTimeout, type PoolUnit } from '../../smbdirect/buffer-pool.js';
import { DEFAULT_LIMITS } from '../../smbdirect/constants.js';
import { SmbdConnection } from '../../smbdirect/connection.js';
import { clientNegotiate, serverNegotiate } from '../../smbdirect/negotiate.js';
import { connectionPools } from '../../smbdirect/listener.js';
import { DeviceResources } from '../../smbdirect/device.js';
import type { RdmaBinding } from '../../native/binding.js';
import type { Logger } from '../../server/log.js';
import { fakePair } from '../support/smbdirect-fake-device.js';

function pool(maxUnits: number, unitsPerSlab = 4): BufferPool {
  let addr = 0x1000n;
  return new BufferPool({
    unitBytes: 64,
    unitsPerSlab,
    maxUnits,
    allocate: (bytes) => new ArrayBuffer(bytes),
    register: () => ({ addr: (addr += 0x10000n), lkey: 1, rkey: 0, close: () => {} }),
  });
}

/** Whether a promise settled by the time queued callbacks and one timer turn ran. */
async function settled<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown } | null> {
  let out: { value?: T; error?: unknown } | null = null;
  p.then((value) => (out = { value }), (error: unknown) => (out = { error }));
  await new Promise((r) => setImmediate(r));
  return out;
}

const never = () => assert.fail('not starved');

test('a share holds at most its cap; more waits for its own units to come back', async () => {
  const p = pool(16);
  const a = new PoolShare(p, 4, 0, never);
  const first = a.tryTake(3)!;
  assert.equal(a.held, 3);
  assert.equal(a.tryTake(2), null, 'the cap, not the pool, refuses: the pool has 13 more');
  const more = a.take(2);
  assert.equal(await settled(more), null);
  a.give(first.slice(0, 1));
  const got = await settled(more);
  assert.equal(got?.value?.length, 2);
  assert.equal(a.held, 4);
  assert.equal(a.inUse, 4);
  assert.equal(p.inUse, 4);
  await assert.rejects(a.take(5), /more than the 4 one holder may have/, 'more than the cap at once can never be served');
});

test('a share at its cap does not hold up other connections, even when it asked first', async () => {
  const p = pool(16);
  const hog = new PoolShare(p, 8, 0, never);
  const other = new PoolShare(p, 8, 0, never);
  const held = hog.tryTake(8)!;
  const hogWaits = hog.take(4);
  const otherGets = await settled(other.take(8));
  assert.equal(otherGets?.value?.length, 8, 'the other connection is served at once from the rest of the pool');
  assert.equal(await settled(hogWaits), null);
  hog.give(held);
  assert.equal((await settled(hogWaits))?.value?.length, 4);
});

test('among takes that may proceed, order is kept: a small take does not overtake a large one', async () => {
  const p = pool(8);
  const a = new PoolShare(p, 8, 0, never);
  const b = new PoolShare(p, 8, 0, never);
  const c = new PoolShare(p, 8, 0, never);
  const held = a.tryTake(7)!;
  const big = b.take(4);
  const small = c.take(1);
  assert.equal(await settled(big), null);
  assert.equal(await settled(small), null, 'one unit is free, but the larger take asked first');
  a.give(held.slice(0, 4));
  assert.equal((await settled(big))?.value?.length, 4);
  assert.equal((await settled(small))?.value?.length, 1);
});

test('a take that waits longer than the share allows fails with PoolWaitTimeout and reports starvation once', async () => {
  const p = pool(8);
  const hog = new PoolShare(p, 8, 0, never);
  const held = hog.tryTake(8)!;
  const starved: Error[] = [];
  const victim = new PoolShare(p, 8, 40, (err) => starved.push(err));
  const behind = new PoolShare(p, 8, 0, never);
  const t0 = Date.now();
  const one = victim.take(4);
  const two = victim.take(2);
  const after = behind.take(1);
  await assert.rejects(one, (err: Error) => err instanceof PoolWaitTimeout && /no 4 free buffer units of 64 bytes within 40 ms/.test(err.message));
  await assert.rejects(two, PoolWaitTimeout);
  assert.ok(Date.now() - t0 >= 35, 'it waited its timeout');
  assert.equal(starved.length, 1, 'the connection is reported once, however many of its takes time out');
  assert.equal(p.waiting, 1, 'the timed-out takes left the queue');
  assert.equal(await settled(after), null);
  hog.give(held.slice(0, 1));
  assert.equal((await settled(after))?.value?.length, 1, 'the others keep being served');
  assert.equal(victim.held, 0);
});

test('a timed-out take at the head of the queue lets the takes behind it through', async () => {
  const p = pool(8);
  const hog = new PoolShare(p, 8, 0, never);
  const held = hog.tryTake(6)!;
  const victim = new PoolShare(p, 8, 30, () => {});
  const small = new PoolShare(p, 8, 0, never);
  const big = victim.take(4);
  const waiting = small.take(2);
  assert.equal(await settled(waiting), null, 'behind the larger take');
  await assert.rejects(big, PoolWaitTimeout);
  assert.equal((await settled(waiting))?.value?.length, 2);
  hog.give(held);
});

test('closing a share rejects its waiting takes; units it still held come back through give', async () => {
  const p = pool(4);
  const a = new PoolShare(p, 4, 0, never);
  const b = new PoolShare(p, 4, 0, never);
  const held: PoolUnit[] = a.tryTake(4)!;
  const waiting = b.take(2);
  const mine = a.take(1);
  a.close('SMB Direct connection closed');
  await assert.rejects(mine, /connection closed/);
  assert.equal(await settled(waiting), null);
  a.give(held);
  assert.equal(a.held, 0);
  assert.equal((await settled(waiting))?.value?.length, 2);
  assert.equal(p.waiting, 0);
});

test('closing the pool rejects every waiter and clears its timers', async () => {
  const p = pool(2);
  const a = new PoolShare(p, 2, 60_000, never);
  a.tryTake(2);
  const waiting = a.take(1);
  p.close();
  await assert.rejects(waiting, /buffer pool closed/);
});

test('a connection whose RDMA READ waits too long for bounce units is ended, logged and not counted; the pool serves others after', async () => {
  const [a, b] = fakePair();
  const base = a.pools.bounce as BufferPool;
  const warnings: string[] = [];
  const log: Logger = { debug: () => {}, info: () => {}, warn: (o, m) => warnings.push(`${m}: ${JSON.stringify(o)}`), error: () => {}, child: () => log };
  let errors = 0;
  const metrics = { rdmaWrite: () => {}, rdmaRead: () => {}, creditStall: () => {}, protocolError: () => errors++ };
  let server: SmbdConnection | null = null;
  const device = { connectionPools: (onStarved: (err: PoolWaitTimeout) => void) => ({ ...a.pools, bounce: new PoolShare(base, 64, 60, onStarved) }) };
  const pools = connectionPools(device, log, () => server);
  server = new SmbdConnection({ id: a.cm, ep: a.rc, pools, limits: DEFAULT_LIMITS, metrics, log, initiatorDepth: 2 });
  const client = new SmbdConnection({ id: b.cm, ep: b.rc, pools: b.pools, limits: DEFAULT_LIMITS, metrics, log, initiatorDepth: 2 });
  server.refillReceives();
  client.refillReceives();
  const negotiated = serverNegotiate(server, DEFAULT_LIMITS);
  await clientNegotiate(client, DEFAULT_LIMITS);
  await negotiated;
  server.onMessage(() => {});
  client.onMessage(() => {});

  const data = randomBytes(20_000);
  const target = b.memory.register(new ArrayBuffer(data.length), true);
  data.copy(target.bytes);
  const descriptors = [{ offset: target.addr, token: target.rkey, length: data.length }];
  assert.ok((await server.rdmaRead(descriptors, data.length)).equals(data), 'with units free, the READ goes through');

  const others = new PoolShare(base, base.maxUnits, 0, never);
  const hogged = others.tryTake(base.maxUnits)!;
  let closed: Error | undefined;
  server.onClose((r) => (closed = r));
  await assert.rejects(server.rdmaRead(descriptors, data.length), PoolWaitTimeout);
  while (!closed) await new Promise((r) => setTimeout(r, 2));
  assert.match(closed.message, /bounce buffers: no 5 free buffer units/);
  assert.equal(errors, 0, 'a short pool is not the peer breaking the protocol');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /no bounce buffers in time; disconnecting: .*"peer":"rdma /);
  assert.equal(pools.bounce.held, 0, 'the ended connection holds no bounce unit');
  others.give(hogged.slice(0, 5));
  const next = new PoolShare(base, 64, 60, never);
  assert.equal((await next.take(5)).length, 5, 'the pool keeps serving other connections');
  await client.terminate('done');
});

/** Just what DeviceResources.open touches of the binding: a context, a PD, MRs and slabs. */
function fakeBinding(): RdmaBinding {
  let addr = 0x100000n;
  const closable = () => ({ close: () => {} });
  const binding = {
    openContext: async () => closable(),
    ProtectionDomain: function ProtectionDomain() { return closable(); },
    MemoryRegion: function MemoryRegion() { return { addr: (addr += 0x1000000n), lkey: 7, rkey: 0, close: () => {} }; },
    allocSlab: (bytes: number) => new ArrayBuffer(bytes),
    freeSlab: () => {},
  };
  return binding as unknown as RdmaBinding;
}

test("a device gives each connection a share of a quarter of the bounce pool, never less than one largest READ/WRITE", async () => {
  const log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => log } as Logger;
  const open = (maxReadWriteSize: number, bounceShare?: number) =>
    DeviceResources.open(fakeBinding(), 'fake0', { limits: { ...DEFAULT_LIMITS, maxReadWriteSize }, maxConnections: 64, log, bounceShare });
  const big = await open(8 * 1024 * 1024);
  assert.equal(big.bounce.maxUnits, 512, 'four 8 MiB transfers of 64 KiB units');
  assert.equal(big.bounceCap, 128, 'a quarter: one 8 MiB transfer');
  const share = big.connectionPools(never).bounce;
  assert.equal(share.cap, 128);
  const held = share.tryTake(128)!;
  assert.equal(share.tryTake(1), null, 'at its cap');
  assert.equal(big.connectionPools(never).bounce.tryTake(128)?.length, 128, 'another connection is served from the rest');
  share.give(held);
  big.close();
  const small = await open(1024 * 1024);
  assert.equal(small.bounce.maxUnits, 256);
  assert.equal(small.bounceCap, 64, 'a quarter of 256 units');
  small.close();
  const tiny = await open(8 * 1024 * 1024, 0.01);
  assert.equal(tiny.bounceCap, 128, 'never less than one largest READ/WRITE');
  tiny.close();
});
