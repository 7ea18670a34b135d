// Planning RDMA work requests over buffer descriptors (smbdirect/rdma-plan.ts), the bounce
// and zero-copy gather of READ data (gather.ts) and the registered buffer pool, without a device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDescriptors, planRdma } from '../../smbdirect/rdma-plan.js';
import { BufferPool, memlockError, type RegisteredMemory } from '../../smbdirect/buffer-pool.js';
import { gatherPayload } from '../../smbdirect/gather.js';
import type { NativeMemoryRegion } from '../../native/binding.js';

const seg = (addr: number, length: number, lkey = 1) => ({ addr: BigInt(addr), length, lkey });
const desc = (offset: number, length: number, token = 77) => ({ offset: BigInt(offset), token, length });

test('descriptors are checked: count, room, MaxReadWriteSize', () => {
  assert.equal(checkDescriptors([desc(0, 100)], 100, 1000), null);
  assert.match(checkDescriptors([], 1, 1000) ?? '', /no buffer descriptors/);
  assert.match(checkDescriptors([desc(0, 50), desc(100, 49)], 100, 1000) ?? '', /hold 99 bytes, 100 needed/);
  assert.match(checkDescriptors([desc(0, 2000)], 1001, 1000) ?? '', /> MaxReadWriteSize/);
  assert.match(checkDescriptors(Array.from({ length: 65 }, (_, i) => desc(i * 10, 10)), 10, 1000) ?? '', /65 buffer descriptors/);
});

test('segments are laid over descriptors in order; each request targets one contiguous remote range', () => {
  const ops = planRdma([desc(1000, 150, 5), desc(5000, 100, 6)], [seg(0, 100), seg(200, 100), seg(400, 50)], 8);
  assert.deepEqual(ops, [
    { remoteAddr: 1000n, rkey: 5, sgList: [seg(0, 100), seg(200, 50)], length: 150 },
    { remoteAddr: 5000n, rkey: 6, sgList: [seg(250, 50), seg(400, 50)], length: 100 },
  ]);
});

test('more segments than max_sge split a descriptor into several requests at the right remote offsets', () => {
  const segments = Array.from({ length: 10 }, (_, i) => seg(i * 4096 * 2, 4096));
  const ops = planRdma([desc(1 << 20, 10 * 4096)], segments, 4);
  assert.deepEqual(ops.map((o) => [o.remoteAddr, o.sgList.length, o.length]), [[BigInt(1 << 20), 4, 16384], [BigInt((1 << 20) + 16384), 4, 16384], [BigInt((1 << 20) + 32768), 2, 8192]]);
  const total = ops.flatMap((o) => o.sgList).reduce((n, s) => n + s.length, 0);
  assert.equal(total, 10 * 4096);
});

test('data shorter than the descriptors stops early; longer data is refused', () => {
  assert.equal(planRdma([desc(0, 4096), desc(8192, 4096)], [seg(0, 10)], 4).length, 1);
  assert.throws(() => planRdma([desc(0, 5)], [seg(0, 10)], 4), /do not fit/);
});

function fakePool(unitBytes: number, unitsPerSlab: number, maxUnits: number) {
  const registered: number[] = [];
  let closedMrs = 0;
  let nextAddr = 0x10000;
  const pool = new BufferPool({
    unitBytes, unitsPerSlab, maxUnits,
    allocate: (bytes) => new ArrayBuffer(bytes),
    register: (slab): RegisteredMemory => {
      registered.push(slab.byteLength);
      const addr = BigInt(nextAddr);
      nextAddr += 0x100000;
      return { addr, lkey: registered.length, rkey: 0, close: () => closedMrs++ };
    },
  });
  return { pool, registered, closed: () => closedMrs };
}

test('the pool registers whole slabs on demand, reuses units and makes callers wait at its limit', async () => {
  const { pool, registered, closed } = fakePool(1024, 4, 8);
  const a = pool.tryTake(3)!;
  assert.equal(registered.length, 1);
  const b = pool.tryTake(3)!;
  assert.deepEqual(registered, [4096, 4096]);
  assert.equal(pool.inUse, 6);
  assert.equal(pool.tryTake(3), null);
  let got: unknown = null;
  const waiting = pool.take(3).then((u) => (got = u));
  await Promise.resolve();
  assert.equal(got, null);
  pool.give(a);
  await waiting;
  assert.equal((got as unknown[]).length, 3);
  assert.equal(registered.length, 2, 'no registration per message');
  await assert.rejects(pool.take(9), /of a pool of 8/);
  pool.give(b);
  pool.close();
  assert.equal(closed(), 2);
});

test('registration failing with ENOMEM says to raise RLIMIT_MEMLOCK in one line', () => {
  const enomem = Object.assign(new Error('ibv_reg_mr: Cannot allocate memory'), { code: 'ENOMEM', errno: 12 });
  const pool = new BufferPool({ unitBytes: 1, unitsPerSlab: 1, maxUnits: 1, allocate: (n) => new ArrayBuffer(n), register: () => { throw enomem; } });
  assert.throws(() => pool.tryTake(1), (err: Error) => /RLIMIT_MEMLOCK/.test(err.message) && /ulimit -l/.test(err.message) && /LimitMEMLOCK=/.test(err.message) && !err.message.includes('\n'));
  assert.equal(memlockError(new Error('EINVAL'), 'x').message, 'EINVAL');
});

test('READ data: chunks in registered slabs go zero-copy (neighbours merged), the rest through bounce units in order', async () => {
  const { pool: bounce } = fakePool(8, 4, 16);
  const slabMr = { addr: 0x7000000n, lkey: 99 } as unknown as NativeMemoryRegion;
  const pools = { bounce, send: bounce, recv: bounce, slabMr: (id: number) => (id === 3 ? slabMr : undefined) };
  const chunks = [Buffer.from('abcdefghij'), Buffer.alloc(4096, 1), Buffer.alloc(4096, 2), Buffer.from('xyz')];
  const regions = [null, { slabId: 3, offset: 8192 }, { slabId: 3, offset: 12288 }, { slabId: 4, offset: 0 }];
  const g = await gatherPayload({ chunks, regions }, pools, false);
  assert.equal(g.copiedBytes, 13);
  assert.deepEqual(g.segments.map((s) => [s.lkey === 99 ? 'slab' : 'bounce', s.length]), [['bounce', 8], ['bounce', 2], ['slab', 8192], ['bounce', 3]]);
  assert.equal(g.segments[2].addr, 0x7000000n + 8192n);
  assert.equal(Buffer.concat(g.units.map((u) => u.bytes)).subarray(0, 13).toString(), 'abcdefghijxyz');
  const big = fakePool(4096, 4, 16).pool;
  const forced = await gatherPayload({ chunks, regions }, { ...pools, bounce: big }, true);
  assert.equal(forced.copiedBytes, 10 + 8192 + 3, 'zero copy off: every byte bounces');
  assert.ok(forced.segments.every((s) => s.lkey !== 99));
  assert.equal(forced.units.length, 3);
});
