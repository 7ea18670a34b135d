// Device query, ABI constants and memory registration on rxe0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Access, AtomicCap, CmEventType, PortState, SendFlags, WcFlags, WcOpcode, WcStatus, WrOpcode } from '../../../native/index.js';
import { REMOTE_ACCESS, closeRdma, openRdma } from './helpers.js';

if (process.env.GUEST_ASAN === '1') {
  test('this run uses the AddressSanitizer build of the addon', () => {
    openRdma();
    const maps = readFileSync('/proc/self/maps', 'utf8');
    assert.match(maps, /libasan\.so/);
    assert.match(maps, /native-asan\/build\/Release\/spliced_rdma\.node/);
  });
}

test('the device list names rxe0 and the context reports its attributes', async () => {
  const rdma = openRdma();
  assert.deepEqual(rdma.binding.getDeviceNames(), ['rxe0']);
  const context = await rdma.binding.openContext('rxe0');
  assert.equal(context.name, 'rxe0');
  const attrs = context.queryDevice();
  assert.equal(attrs.nodeType, 'CA');
  for (const key of ['maxSge', 'maxQpWr', 'maxCqe', 'maxMr', 'maxMw', 'maxQpRdAtom'] as const) {
    assert.ok(attrs[key] > 0, `${key} = ${attrs[key]}`);
  }
  assert.ok(attrs.maxMrSize > 0n);
  assert.ok(([AtomicCap.NONE, AtomicCap.HCA, AtomicCap.GLOB] as number[]).includes(attrs.atomicCap));
  assert.equal(attrs.maxFastRegPageListLen, null);
  const port = context.queryPort(1);
  assert.equal(port.state, PortState.ACTIVE);
  assert.equal(port.activeMtu, 5, 'MTU 9000 on dummy0 gives an active MTU of 4096 (IBV_MTU_4096)');
  assert.equal(context.queryGid(1, 1), '::ffff:10.77.0.1');
  context.close();
  context.close();
  assert.throws(() => context.queryDevice(), /Context is closed/);
  await closeRdma(rdma);
});

test('openContext rejects an unknown device with errno', async () => {
  const rdma = openRdma();
  await assert.rejects(rdma.binding.openContext('nope0'), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ENODEV');
    assert.equal(err.syscall, 'rdma_get_devices');
    return true;
  });
  await closeRdma(rdma);
});

test('the TS constant tables match the values the addon was compiled with', () => {
  const c = openRdma().binding.constants;
  const expected: Record<string, number> = {
    IBV_WR_RDMA_WRITE: WrOpcode.RDMA_WRITE, IBV_WR_RDMA_WRITE_WITH_IMM: WrOpcode.RDMA_WRITE_WITH_IMM,
    IBV_WR_SEND: WrOpcode.SEND, IBV_WR_SEND_WITH_IMM: WrOpcode.SEND_WITH_IMM, IBV_WR_RDMA_READ: WrOpcode.RDMA_READ,
    IBV_WR_LOCAL_INV: WrOpcode.LOCAL_INV, IBV_WR_BIND_MW: WrOpcode.BIND_MW, IBV_WR_SEND_WITH_INV: WrOpcode.SEND_WITH_INV,
    IBV_SEND_FENCE: SendFlags.FENCE, IBV_SEND_SIGNALED: SendFlags.SIGNALED, IBV_SEND_SOLICITED: SendFlags.SOLICITED,
    IBV_SEND_INLINE: SendFlags.INLINE, IBV_ACCESS_LOCAL_WRITE: Access.LOCAL_WRITE, IBV_ACCESS_REMOTE_WRITE: Access.REMOTE_WRITE,
    IBV_ACCESS_REMOTE_READ: Access.REMOTE_READ, IBV_ACCESS_REMOTE_ATOMIC: Access.REMOTE_ATOMIC, IBV_ACCESS_MW_BIND: Access.MW_BIND,
    IBV_WC_SUCCESS: WcStatus.SUCCESS, IBV_WC_LOC_PROT_ERR: WcStatus.LOC_PROT_ERR, IBV_WC_WR_FLUSH_ERR: WcStatus.WR_FLUSH_ERR,
    IBV_WC_REM_ACCESS_ERR: WcStatus.REM_ACCESS_ERR, IBV_WC_SEND: WcOpcode.SEND, IBV_WC_RDMA_WRITE: WcOpcode.RDMA_WRITE,
    IBV_WC_RDMA_READ: WcOpcode.RDMA_READ, IBV_WC_BIND_MW: WcOpcode.BIND_MW, IBV_WC_RECV: WcOpcode.RECV,
    IBV_WC_RECV_RDMA_WITH_IMM: WcOpcode.RECV_RDMA_WITH_IMM, IBV_WC_WITH_IMM: WcFlags.WITH_IMM, IBV_WC_WITH_INV: WcFlags.WITH_INV,
    RDMA_CM_EVENT_CONNECT_REQUEST: CmEventType.CONNECT_REQUEST, RDMA_CM_EVENT_ESTABLISHED: CmEventType.ESTABLISHED,
    RDMA_CM_EVENT_DISCONNECTED: CmEventType.DISCONNECTED,
  };
  assert.deepEqual({ ...c }, expected);
});

test('slabs are page-aligned and registrable; memory regions expose keys and address', async () => {
  const rdma = openRdma();
  const { context, pd } = await rdma.contexts.get('rxe0');
  const before = rdma.binding.liveSlabCount();
  const slab = rdma.binding.allocSlab(3 * 4096 + 100);
  assert.equal(slab.byteLength, 3 * 4096 + 100);
  assert.equal(rdma.binding.liveSlabCount(), before + 1);
  const mr = new rdma.binding.MemoryRegion(pd, slab, REMOTE_ACCESS);
  assert.equal(mr.length, slab.byteLength);
  assert.equal(mr.addr % 4096n, 0n);
  assert.ok(mr.lkey > 0 && mr.rkey > 0);
  const view = new Uint8Array(slab, 4096, 8192);
  const sub = await rdma.binding.registerMemory(pd, view, Access.LOCAL_WRITE);
  assert.equal(sub.addr, mr.addr + 4096n);
  assert.equal(sub.length, 8192);
  assert.notEqual(sub.lkey, mr.lkey);
  // Remote access without local write is refused by the verbs layer, with errno.
  assert.throws(() => new rdma.binding.MemoryRegion(pd, slab, Access.REMOTE_WRITE), (err: NodeJS.ErrnoException) => {
    assert.equal(err.syscall, 'ibv_reg_mr');
    assert.equal(err.code, 'EINVAL');
    return true;
  });
  assert.throws(() => new rdma.binding.MemoryRegion(pd, new ArrayBuffer(64), Access.LOCAL_WRITE), /allocSlab/);
  rdma.binding.freeSlab(slab);
  rdma.binding.freeSlab(slab);
  assert.equal(slab.byteLength, 0, 'freeSlab detaches the ArrayBuffer');
  assert.equal(rdma.binding.liveSlabCount(), before);
  assert.throws(() => new rdma.binding.MemoryRegion(pd, slab, Access.LOCAL_WRITE), /allocSlab/);
  // The regions still hold the pages; closing them (in any order, twice) releases them.
  pd.close();
  sub.close();
  mr.close();
  mr.close();
  assert.throws(() => mr.lkey, /MemoryRegion is closed/);
  void context;
  await closeRdma(rdma);
});
