// A connection between two processes; object lifetimes whatever order JS drops them in;
// 1000 connect/disconnect cycles without leaking fds or memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Access, WrOpcode, wcStatusName } from '../../../native/index.js';
import { GUEST_IP, closePair, closeRdma, connectPair, makeSide, openRdma, registeredSlab, signaled, withTimeout } from './helpers.js';

const underAsan = process.env.GUEST_ASAN === '1';

/** The peer runs the regular addon: an ASan-preloaded node takes over 30 s to start here. */
function peerEnv(): NodeJS.ProcessEnv {
  if (!underAsan) return process.env;
  const env = { ...process.env };
  for (const key of ['LD_PRELOAD', 'ASAN_OPTIONS', 'SPLICED_RDMA_ADDON']) delete env[key];
  return env;
}

test('an RC connection between two processes exchanges SENDs', async () => {
  const peer = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./peer-server.ts', import.meta.url))], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: peerEnv(),
  });
  const exited = once(peer, 'exit');
  try {
    const lines = createInterface({ input: peer.stdout! });
    const [first] = (await withTimeout(once(lines, 'line'), 'the peer to listen', 60_000)) as [string];
    const port = Number(/^listening (\d+)$/.exec(first)?.[1]);
    assert.ok(port > 0, `peer said: ${first}`);

    const rdma = openRdma();
    const id = rdma.channel.createId();
    await withTimeout(id.resolve({ host: GUEST_IP, port }), 'resolution');
    const { ep, completions, pd } = await makeSide(rdma, id);
    const buf = registeredSlab(rdma, pd, 4096, Access.LOCAL_WRITE);
    ep.postRecv([{ wrId: 1, sgList: [{ addr: buf.mr.addr + 2048n, length: 2048, lkey: buf.mr.lkey }] }]);
    const established = await withTimeout(id.connect(), 'ESTABLISHED');
    assert.equal(established.privateData?.subarray(0, `pid ${peer.pid}`.length).toString(), `pid ${peer.pid}`);
    buf.bytes.set(Buffer.from('abcdef'), 0);
    ep.postSend([signaled({ wrId: 2, opcode: WrOpcode.SEND, sgList: [{ addr: buf.mr.addr, length: 6, lkey: buf.mr.lkey }] })]);
    assert.equal(wcStatusName((await completions.next('send')).status), 'SUCCESS');
    const recv = await completions.next('recv');
    assert.equal(Buffer.from(buf.bytes.subarray(2048, 2048 + recv.byteLen)).toString(), 'fedcba');
    await withTimeout(id.disconnect(), 'DISCONNECTED');
    ep.close();
    buf.mr.close();
    id.close();
    await closeRdma(rdma);
    const [code] = await withTimeout(exited, 'the peer to exit', 30_000);
    assert.equal(code, 0);
  } finally {
    peer.kill();
  }
});

test('parents outlive children whatever order JS closes or drops them in', async () => {
  const rdma = openRdma();
  const pair = await connectPair(rdma);
  const local = registeredSlab(rdma, pair.client.pd, 4096);
  const remote = registeredSlab(rdma, pair.server.pd, 4096);
  local.bytes.fill(0x3c, 0, 64);
  // Close every parent first, and free the source slab: the context, PDs, CQs, channel,
  // CM id and pages stay alive for the QP and MR that still use them.
  await rdma.contexts.close();
  pair.client.ep.sendCq.close();
  pair.client.ep.recvCq.close();
  pair.client.ep.channel.close();
  pair.client.id.close();
  pair.client.id.close();
  rdma.binding.freeSlab(local.slab);
  assert.equal(local.slab.byteLength, 0);
  assert.throws(() => pair.client.ep.sendCq.poll(), /CompletionQueue is closed/);
  pair.client.ep.qp.postSend([{ wrId: 9, opcode: WrOpcode.RDMA_WRITE, sgList: [{ addr: local.mr.addr, length: 64, lkey: local.mr.lkey }], remoteAddr: remote.mr.addr, rkey: remote.mr.rkey }]);
  await withTimeout(
    new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (remote.bytes[63] === 0x3c) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    }),
    'the write from the freed slab to land',
  );
  // Children last, twice; the server side's CQs and channel are only dropped, for the GC.
  pair.client.ep.qp.close();
  pair.client.ep.qp.close();
  local.mr.close();
  remote.mr.close();
  pair.server.ep.qp.close();
  pair.server.id.close();
  pair.listener.close();
  assert.equal(rdma.channel.openIds, 0);
  rdma.channel.close();
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setImmediate(r));
});

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc, 'run with --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}

// The ASan rerun (about 5x slower) sets GUEST_CYCLES lower; the regular run does 1000.
const CYCLES = Number(process.env.GUEST_CYCLES ?? 1000);
/** Growth over one window of CYCLES/2 that counts as a leak (8 KiB a cycle at 500). */
const RSS_WINDOW_LIMIT_MIB = 4;

test(`${CYCLES} connect/disconnect cycles leak no fds and no memory`, async () => {
  const rdma = openRdma();
  const cycle = async () => {
    const pair = await connectPair(rdma);
    await closePair(pair);
  };
  for (let i = 0; i < 30; i++) await cycle();
  const fdsBefore = fdCount();
  // Memory is judged per window of CYCLES/2: a leak grows every window, while a one-off (the
  // heap or an allocator arena growing once) does not repeat. At least two windows run, and up
  // to four while the latest still grew.
  const window = Math.max(1, Math.floor(CYCLES / 2));
  const growthMiB: number[] = [];
  const started = Date.now();
  let rss = await settledRss();
  const rssFirst = rss;
  while (growthMiB.length < 2 || (growthMiB.length < 4 && growthMiB[growthMiB.length - 1] >= RSS_WINDOW_LIMIT_MIB)) {
    for (let i = 0; i < window; i++) await cycle();
    const now = await settledRss();
    growthMiB.push((now - rss) / 2 ** 20);
    rss = now;
  }
  const seconds = (Date.now() - started) / 1000;
  const fdsAfter = fdCount();
  const windows = growthMiB.map((g) => g.toFixed(1)).join(', ');
  console.log(`${growthMiB.length * window} cycles in ${seconds.toFixed(1)} s; fds ${fdsBefore} -> ${fdsAfter}; RSS ${(rssFirst / 2 ** 20).toFixed(1)} -> ${(rss / 2 ** 20).toFixed(1)} MiB (per window of ${window}: ${windows})`);
  assert.equal(fdsAfter, fdsBefore);
  // ASan's quarantine holds freed memory on purpose, so RSS only means something without it.
  if (!underAsan) assert.ok(growthMiB[growthMiB.length - 1] < RSS_WINDOW_LIMIT_MIB, `RSS grew in every window of ${window} cycles: ${windows} MiB`);
  assert.equal(rdma.channel.openIds, 0);
  await closeRdma(rdma);
});
