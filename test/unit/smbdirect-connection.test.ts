// The SMB Direct connection engine (smbdirect/connection.ts + negotiate.ts) end to end over an
// in-memory pair of queue pairs (support/smbdirect-fake-device.ts): negotiation, messages
// fragmented and reassembled under scarce credits, keep-alives, idle timeout, SEND_WITH_INV,
// RDMA READ/WRITE over descriptors, pause and orderly teardown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../../server/log.js';
import { DEFAULT_LIMITS, type SmbdLimits } from '../../smbdirect/constants.js';
import { SmbdConnection, type SmbdMetrics } from '../../smbdirect/connection.js';
import { clientNegotiate, serverNegotiate } from '../../smbdirect/negotiate.js';
import { fakePair, type FakeSide } from '../support/smbdirect-fake-device.js';
import { dataMessageBytes } from '../support/smbdirect-bytes.js';
import { WrOpcode } from '../../native/constants.js';

interface Counted extends SmbdMetrics {
  stalls: number;
  errors: number;
  written: number;
  read: number;
}

function metrics(): Counted {
  const m = { stalls: 0, errors: 0, written: 0, read: 0 } as Counted;
  m.creditStall = () => m.stalls++;
  m.protocolError = () => m.errors++;
  m.rdmaWrite = (n) => (m.written += n);
  m.rdmaRead = (n) => (m.read += n);
  return m;
}

function connection(side: FakeSide, limits: SmbdLimits, m: SmbdMetrics, maxReadSge?: number): SmbdConnection {
  return new SmbdConnection({ id: side.cm, ep: side.rc, pools: side.pools, limits, metrics: m, log: silentLogger, initiatorDepth: 2, maxReadSge });
}

async function connected(overrides: Partial<SmbdLimits> = {}, maxReadSge?: number) {
  const limits = { ...DEFAULT_LIMITS, ...overrides };
  const [a, b] = fakePair({ recvBytes: limits.maxReceiveSize, sendBytes: limits.maxSendSize });
  const sm = metrics();
  const cm = metrics();
  const server = connection(a, limits, sm, maxReadSge);
  const client = connection(b, limits, cm);
  server.refillReceives();
  client.refillReceives();
  const negotiated = serverNegotiate(server, limits);
  await clientNegotiate(client, limits);
  await negotiated;
  return { server, client, sm, cm, a, b, limits };
}

function collect(conn: SmbdConnection): Buffer[] {
  const got: Buffer[] = [];
  conn.onMessage((m) => got.push(m));
  return got;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('negotiation agrees on sizes and grants, then messages flow both ways', async () => {
  const { server, client } = await connected();
  assert.equal(client.negotiated?.maxReadWriteSize, DEFAULT_LIMITS.maxReadWriteSize);
  assert.equal(server.negotiated?.maxSendSize, 1364);
  assert.equal(client.credits.sendCredits, 255);
  const atServer = collect(server);
  const atClient = collect(client);
  await client.send([Buffer.from('hello '), Buffer.from('server')]);
  await until('the request', () => atServer.length === 1);
  assert.equal(atServer[0].toString(), 'hello server');
  assert.ok(server.credits.sendCredits > 0, 'the client granted credits with its first message');
  await server.send([Buffer.from('hello client')]);
  await until('the response', () => atClient.length === 1);
  assert.equal(atClient[0].toString(), 'hello client');
  await client.terminate('done');
  await until('both sides closed', () => !server.isOpen);
});

test('large messages in both directions with 3 credits each: fragmented, reassembled intact, no deadlock', async () => {
  const { server, client, sm, cm } = await connected({ receiveCreditMax: 3, sendCreditTarget: 3 });
  const atServer = collect(server);
  const atClient = collect(client);
  const up = [randomBytes(300_000), randomBytes(1), randomBytes(1340), randomBytes(1341), randomBytes(1_048_576)];
  const down = [randomBytes(200_000), randomBytes(5000), randomBytes(777_777)];
  await Promise.all([...up.map((m) => client.send([m])), ...down.map((m) => server.send([m.subarray(0, 10), m.subarray(10)]))]);
  await until('every message', () => atServer.length === up.length && atClient.length === down.length, 20_000);
  up.forEach((m, i) => assert.ok(atServer[i].equals(m), `upstream message ${i}`));
  down.forEach((m, i) => assert.ok(atClient[i].equals(m), `downstream message ${i}`));
  assert.ok(sm.stalls + cm.stalls > 0, 'credit stalls were counted');
  assert.equal(sm.errors + cm.errors, 0);
  await client.terminate('done');
});

test('a message larger than the peer accepts is refused before anything is sent', async () => {
  const { client } = await connected();
  await assert.rejects(client.send([Buffer.alloc(DEFAULT_LIMITS.maxFragmentedSize + 1)]), /MaxFragmentedSize/);
  assert.ok(client.isOpen);
  await client.terminate('done');
});

test('an idle connection sends keep-alives that the peer answers; a silent peer is dropped', async () => {
  const { server, client, a } = await connected({ keepaliveMs: 30, idleTimeoutMs: 60 });
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(server.isOpen && client.isOpen, 'answered keep-alives keep both sides up');
  a.ep.peer.deaf = true;
  await until('the server to drop the silent client', () => !server.isOpen, 2000);
  await client.terminate('done');
});

test('a client sending more messages than its credits is granted more without any response', async () => {
  const { server, client } = await connected({ keepaliveMs: 0 });
  // Spend the client's credits below the low-water mark: the server, with nothing to say, grants anyway.
  collect(server);
  await Promise.all(Array.from({ length: 300 }, (_, i) => client.send([Buffer.from([i])])));
  assert.ok(client.credits.sendCredits > 0);
  await client.terminate('done');
});

test('RESPONSE_REQUESTED is answered at once with an empty message that grants', async () => {
  const { server, client, b } = await connected({ keepaliveMs: 0 });
  collect(server);
  collect(client);
  const before = client.credits.sendCredits;
  const raw = b.memory.register(dataMessageBytes({ creditsRequested: 255, flags: 0x0001 }));
  b.ep.postSend([{ wrId: 999_999, opcode: WrOpcode.SEND, sgList: [{ addr: raw.addr, length: raw.bytes.length, lkey: raw.lkey }] }]);
  await until('an answer', () => client.credits.sendCredits === before + 1);
  await client.terminate('done');
});

test('send with an invalidate token goes as SEND_WITH_INV', async () => {
  const { server, client } = await connected();
  collect(client);
  collect(server);
  await client.send([Buffer.from('x')]);
  await server.send([Buffer.from('read response')], { invalidateToken: 0x1234 });
  await until('the invalidation', () => client.invalidations === 1);
  await client.terminate('done');
});

test('RDMA WRITE and READ over several descriptors, split at max_sge; a bad token ends the connection', async () => {
  const { server, client, a, b, sm } = await connected();
  collect(server);
  collect(client);
  const target = b.memory.register(new ArrayBuffer(200_000), true);
  const data = randomBytes(150_000);
  const chunks = [data.subarray(0, 5000), data.subarray(5000, 100_000), data.subarray(100_000)];
  const descriptors = [
    { offset: target.addr, token: target.rkey, length: 70_000 },
    { offset: target.addr + 100_000n, token: target.rkey, length: 90_000 },
  ];
  assert.equal(await server.rdmaWrite(descriptors, { chunks }), 150_000);
  assert.ok(target.bytes.subarray(0, 70_000).equals(data.subarray(0, 70_000)));
  assert.ok(target.bytes.subarray(100_000, 180_000).equals(data.subarray(70_000)));
  assert.equal(sm.written, 150_000);
  const back = await server.rdmaRead(descriptors, 150_000);
  assert.ok(back.equals(data));
  assert.equal(sm.read, 150_000);
  assert.equal(a.pools.bounce.inUse, 0, 'bounce units went back');
  await assert.rejects(server.rdmaWrite([{ offset: target.addr, token: target.rkey ^ 1, length: 100 }], { chunks: [Buffer.alloc(100)] }), /REM_ACCESS_ERR|closed/);
  await until('the connection to end', () => !server.isOpen);
  await assert.rejects(server.rdmaWrite(descriptors, { chunks }), /closed/);
});

test('RDMA READ into targets: cache-page regions are written by the device, the rest bounced, over several descriptors at max_sge', async () => {
  const { server, client, a, b, sm } = await connected({}, 2);
  collect(server);
  collect(client);
  const PAGE = 4096;
  const slab = Buffer.alloc(16 * PAGE);
  a.memory.registerSlab(7, slab);
  const source = b.memory.register(new ArrayBuffer(100_000), true);
  const data = randomBytes(100 + 5 * PAGE + 50);
  // The client's buffer in two pieces: 3 pages at offset 10, the rest at 50_000.
  data.copy(source.bytes, 10, 0, 3 * PAGE);
  data.copy(source.bytes, 50_000, 3 * PAGE);
  const descriptors = [
    { offset: source.addr + 10n, token: source.rkey, length: 3 * PAGE },
    { offset: source.addr + 50_000n, token: source.rkey, length: data.length - 3 * PAGE },
  ];
  const head = Buffer.alloc(100);
  const tail = Buffer.alloc(50);
  const page = (k: number) => ({ bytes: slab.subarray(k * PAGE, (k + 1) * PAGE), region: { slabId: 7, offset: k * PAGE } });
  // Pages 2, 3, 4 of the slab are neighbours (one SGE); 9 and 11 are not; slab 8 has no MR (bounced).
  const unregistered = { bytes: Buffer.alloc(PAGE), region: { slabId: 8, offset: 0 } };
  const targets = [{ bytes: head, region: null }, page(2), page(3), page(9), unregistered, page(11), { bytes: tail, region: null }];
  const wrs: number[] = [];
  const postSend = a.rc.postSend.bind(a.rc);
  a.rc.postSend = (list) => {
    for (const wr of list) if (wr.opcode === WrOpcode.RDMA_READ) wrs.push(wr.sgList!.length);
    postSend(list);
  };
  assert.equal(await server.rdmaReadInto(descriptors, targets), 4 * PAGE, 'four pages were placed by the device');
  const got = Buffer.concat(targets.map((t) => t.bytes));
  assert.ok(got.equals(data), 'every target holds its part of the WRITE');
  assert.ok(slab.subarray(2 * PAGE, 4 * PAGE).equals(data.subarray(100, 100 + 2 * PAGE)), 'the slab memory itself holds the bytes');
  assert.ok(slab.subarray(0, 2 * PAGE).equals(Buffer.alloc(2 * PAGE)), 'nothing outside the targets was touched');
  assert.ok(wrs.length >= 3 && wrs.every((n) => n <= 2), `RDMA READs cut at max_sge_rd 2: ${wrs}`);
  assert.equal(sm.read, data.length);
  assert.equal(a.pools.bounce.inUse, 0, 'bounce units went back');
  const copied = await server.rdmaRead(descriptors, data.length);
  assert.ok(copied.equals(data), 'rdmaRead still returns a Buffer');
});

test('descriptors that cannot hold the data are a protocol error', async () => {
  const { server, sm } = await connected();
  collect(server);
  await assert.rejects(server.rdmaWrite([{ offset: 0n, token: 1, length: 10 }], { chunks: [Buffer.alloc(11)] }), /hold 10 bytes/);
  assert.equal(sm.errors, 1);
  await until('the connection to end', () => !server.isOpen);
});

test('pause holds messages and stops granting; resume delivers them in order', async () => {
  const { server, client } = await connected({ receiveCreditMax: 4, sendCreditTarget: 4 });
  const got = collect(server);
  server.pause();
  const sent = Array.from({ length: 12 }, (_, i) => client.send([Buffer.from(`m${i}`)]));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, 0);
  assert.ok(server.bufferedBytes() > 0);
  assert.ok(server.bufferedBytes() < 12 * 2, 'the peer ran out of credits before sending everything');
  server.resume();
  await Promise.all(sent);
  await until('every message', () => got.length === 12);
  assert.deepEqual(got.map(String), Array.from({ length: 12 }, (_, i) => `m${i}`));
  await client.terminate('done');
});

test('a peer disconnect closes the connection, flushes receives and returns every pool unit', async () => {
  const { server, client, a } = await connected();
  let reason: Error | undefined;
  server.onClose((r) => (reason = r));
  await client.terminate('bye');
  await until('the server to close', () => reason !== undefined);
  assert.match(reason!.message, /peer disconnected/);
  assert.equal(a.pools.recv.inUse, 0);
  assert.equal(a.pools.send.inUse, 0);
  await assert.rejects(server.send([Buffer.from('late')]), /closed/);
});

test('before authentication only small messages are accepted; the server raises the limit afterwards', async () => {
  const limits = { ...DEFAULT_LIMITS };
  const [a, b] = fakePair();
  const sm = metrics();
  const server = new SmbdConnection({ id: a.cm, ep: a.rc, pools: a.pools, limits, metrics: sm, log: silentLogger, initiatorDepth: 1, initialMaxMessageBytes: 65536 });
  const client = connection(b, limits, metrics());
  server.refillReceives();
  client.refillReceives();
  const negotiated = serverNegotiate(server, limits);
  await clientNegotiate(client, limits);
  await negotiated;
  const got = collect(server);
  assert.equal(server.maxMessageBytes, 65536);
  await client.send([Buffer.alloc(65536, 1)]);
  await until('the 64 KiB message', () => got.length === 1);
  server.setMaxMessageBytes(16 * 1024 * 1024);
  assert.equal(server.maxMessageBytes, DEFAULT_LIMITS.maxFragmentedSize, 'never past our MaxFragmentedSize');
  await client.send([Buffer.alloc(100_000, 2)]);
  await until('the 100 KB message', () => got.length === 2);
  server.setMaxMessageBytes(65536);
  await client.send([Buffer.alloc(65537, 3)]).catch(() => {});
  await until('the connection to end', () => !server.isOpen);
  assert.equal(sm.errors, 1);
});
