// SMB Direct end to end over rxe: spliced's server core with the SMB Direct listener, our
// SMB2 client over our SMB Direct client transport, files moved through RDMA channels; then
// hostile peers, each of which must lose its connection while the server keeps serving.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Smb2Client, SmbDirectClientTransport, SmbDirectFileIo, type Tree } from '../../../client/index.js';
import { Command } from '../../../smb2/constants.js';
import { encodeReadRequest } from '../../../smb2/commands/read.js';
import { encodeWriteRequestHeader } from '../../../smb2/commands/write.js';
import { loadRdmaBinding, type RdmaBinding } from '../../../native/index.js';
import { TEST_PASSWORD, TEST_USER } from '../../support/server-fixture.js';
import { startSmbDirectServer, type SmbDirectServer } from '../../support/smbdirect-server.js';
import { RawSmbdPeer } from '../../support/smbdirect-raw-peer.js';
import { dataMessageBytes, negotiateRequestBytes } from '../../support/smbdirect-bytes.js';
import { GUEST_IP, withTimeout } from './helpers.js';
import { createSmbDirectListener } from '../../../smbdirect/listener.js';
import { silentLogger } from '../../../server/log.js';
import type { Transport } from '../../../server/transport.js';

const underAsan = process.env.GUEST_ASAN === '1';
const MiB = 1024 * 1024;
/** The server's SGE cap for these tests: a 1 MiB bounce of 64 KiB units then needs several WRITEs per descriptor. */
const MAX_SEND_SGE = 4;

let binding: RdmaBinding;
let srv: SmbDirectServer;

before(async () => {
  const loaded = loadRdmaBinding({ requireDevice: true });
  if ('error' in loaded) throw new Error(loaded.error);
  binding = loaded.binding;
  srv = await startSmbDirectServer(binding, GUEST_IP, { maxSendSge: MAX_SEND_SGE });
});

after(async () => {
  await srv?.close();
});

interface Session {
  transport: SmbDirectClientTransport;
  client: Smb2Client;
  tree: Tree;
  io: SmbDirectFileIo;
  close(): Promise<void>;
}

async function session(): Promise<Session> {
  const transport = await withTimeout(SmbDirectClientTransport.connect({ host: GUEST_IP, port: srv.port, binding }), 'SMB Direct connect');
  const client = await withTimeout(Smb2Client.connect({ port: 0, transport }), 'SMB2 NEGOTIATE over SMB Direct');
  await withTimeout(client.login({ user: TEST_USER, password: TEST_PASSWORD }), 'SESSION_SETUP over SMB Direct');
  const tree = await withTimeout(client.treeConnect('share'), 'TREE_CONNECT over SMB Direct');
  return {
    transport, client, tree, io: new SmbDirectFileIo(tree, transport),
    close: () => transport.shutdown(),
  };
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

const SIZES = underAsan ? [0, 1, 4095, 4096, 4097, MiB] : [0, 1, 4095, 4096, 4097, MiB, 8 * MiB + 1];

test('files written and read back through RDMA channels are byte-identical (several descriptors, past max_sge, with and without invalidation)', async () => {
  const s = await session();
  try {
    assert.equal(s.transport.negotiated.maxReadWriteSize, 8 * MiB);
    for (const [i, size] of SIZES.entries()) {
      const data = randomBytes(size);
      const opts = { descriptors: 1 + (i % 3) * 2, invalidate: i % 2 === 1 };
      const name = `rt-${size}.bin`;
      const writtenBefore = srv.counters.rdmaReadBytes;
      await s.io.writeFile(name, data, opts);
      assert.equal(srv.counters.rdmaReadBytes - writtenBefore, size, `RDMA READ bytes for the ${size}-byte write`);
      assert.equal(sha(await readFile(join(srv.fixture.dir, name))), sha(data), `file on disk after writing ${size} bytes ${JSON.stringify(opts)}`);
      const readBefore = srv.counters.rdmaWriteBytes;
      const back = await s.io.readFile(name, { ...opts, descriptors: 3, invalidate: !opts.invalidate });
      assert.equal(back.length, size);
      assert.ok(back.equals(data), `read back ${size} bytes ${JSON.stringify(opts)}`);
      assert.equal(srv.counters.rdmaWriteBytes - readBefore, size, `RDMA WRITE bytes for the ${size}-byte read`);
    }
    assert.ok(s.transport.invalidations > 0, 'the server answered RDMA_V1_INVALIDATE requests with SEND_WITH_INV');
    assert.equal(s.io.localInvalidations, 0, 'every _INVALIDATE request was invalidated by the server');
  } finally {
    await s.close();
  }
  await until('pinned pages to return to idle', () => srv.pinnedPages() === 0);
});

test('READ data in a registered cache slab goes from the slab itself; with zero copy off it bounces', async () => {
  const slab = srv.cache.slabs()[0];
  assert.ok(slab, 'the round trips created cache slabs');
  const offset = 3 * 4096;
  const inSlab = Buffer.from(slab.memory.subarray(offset, offset + 8192));
  for (const zeroCopy of [true, false]) {
    let accepted!: (t: Transport) => void;
    const serverSide = new Promise<Transport>((resolve) => (accepted = resolve));
    const listener = createSmbDirectListener({
      port: 0, addresses: [GUEST_IP], maxIoSize: MiB, cache: srv.cache, binding, zeroCopy, log: silentLogger,
      metrics: { rdmaWrite() {}, rdmaRead() {}, creditStall() {}, protocolError() {} },
    });
    const { port } = await listener.listen((t) => accepted(t));
    const transport = await SmbDirectClientTransport.connect({ host: GUEST_IP, port, binding });
    try {
      const t = await withTimeout(serverSide, 'the server side of the connection');
      const buf = transport.registerBuffer(16384);
      // The chunk's own bytes differ from the slab's: only the zero-copy path sends the slab's.
      const decoy = Buffer.alloc(8192, 0xaa);
      const sent = await t.rdmaWrite!([{ offset: buf.mr.addr, token: buf.mr.rkey, length: 16384 }], { chunks: [decoy], regions: [{ slabId: slab.id, offset }] });
      assert.equal(sent, 8192);
      assert.ok(buf.bytes.subarray(0, 8192).equals(zeroCopy ? inSlab : decoy), `zeroCopy ${zeroCopy}`);
    } finally {
      await transport.shutdown();
      await listener.close();
    }
  }
});

test('a 1 MiB file read with 4 KiB requests and 16 descriptors each, and inline messages fragmented both ways', async () => {
  const s = await session();
  try {
    const data = randomBytes(MiB);
    await writeFile(join(srv.fixture.dir, 'small-io.bin'), data);
    const h = await s.tree.create('small-io.bin');
    const parts: Buffer[] = [];
    for (let at = 0; at < 64 * 1024; at += 4096) parts.push(await s.io.read(h.fileId, at, 4096, { descriptors: 16 }));
    assert.ok(Buffer.concat(parts).equals(data.subarray(0, 64 * 1024)));
    // No channel: the 100 KB READ response and the WRITE request go as ~75 fragments each.
    const inline = await s.tree.read(h.fileId, 0, 100_000);
    assert.ok(inline.equals(data.subarray(0, 100_000)));
    await s.tree.close(h.fileId);
    const w = await s.tree.create('inline.bin', { desiredAccess: 0x12019f, disposition: 5 });
    const payload = randomBytes(300_000);
    assert.equal(await s.tree.write(w.fileId, 0, payload), payload.length);
    await s.tree.close(w.fileId);
    assert.ok((await readFile(join(srv.fixture.dir, 'inline.bin'))).equals(payload));
  } finally {
    await s.close();
  }
});

/** Connects a raw peer, runs `act`, and expects the server to end the connection and count a protocol error. */
async function expectTerminated(what: string, act: (peer: RawSmbdPeer) => Promise<void>): Promise<void> {
  const errorsBefore = srv.counters.protocolErrors;
  const peer = await RawSmbdPeer.connect(binding, GUEST_IP, srv.port);
  try {
    await act(peer);
    assert.ok(await peer.waitDisconnected(), `${what}: the server kept the connection`);
    await until(`${what}: protocol error counted`, () => srv.counters.protocolErrors > errorsBefore);
  } finally {
    await peer.close();
  }
}

/** Negotiates properly; returns the credits the server granted. */
async function negotiated(peer: RawSmbdPeer): Promise<number> {
  assert.equal(await peer.send(negotiateRequestBytes()), 'SUCCESS');
  const res = await peer.receive();
  assert.ok(res && res.length >= 32, 'a negotiate response');
  assert.equal(res.readUInt32LE(12), 0, 'status SUCCESS');
  return res.readUInt16LE(10);
}

test('hostile negotiate requests: a version range without 0x0100 gets NOT_SUPPORTED, the others are cut off', async () => {
  await expectTerminated('version 0x0200 only', async (peer) => {
    await peer.send(negotiateRequestBytes({ minVersion: 0x0200, maxVersion: 0x0200 }));
    const res = await peer.receive();
    assert.ok(res && res.length >= 32, 'a negotiate response');
    assert.equal(res.readUInt32LE(12), 0xc00000bb, 'STATUS_NOT_SUPPORTED');
  });
  await expectTerminated('short request', (peer) => peer.send(negotiateRequestBytes().subarray(0, 10)).then(() => {}));
  await expectTerminated('0 credits requested', (peer) => peer.send(negotiateRequestBytes({ creditsRequested: 0 })).then(() => {}));
  await expectTerminated('MaxReceiveSize 127', (peer) => peer.send(negotiateRequestBytes({ maxReceiveSize: 127 })).then(() => {}));
  await expectTerminated('MaxFragmentedSize 65536', (peer) => peer.send(negotiateRequestBytes({ maxFragmentedSize: 65536 })).then(() => {}));
});

test('hostile data messages: credit overrun, misaligned and out-of-bounds data, oversized and inconsistent fragments', async () => {
  await expectTerminated('credit overrun', async (peer) => {
    const granted = await negotiated(peer);
    assert.ok(granted > 0);
    // Empty messages that grant nothing: the server can answer none, and the one past the credits is an overrun.
    for (let i = 0; i <= granted; i++) {
      if ((await peer.send(dataMessageBytes({ creditsRequested: 1 }), i)) !== 'SUCCESS') break;
    }
  });
  const data = Buffer.alloc(64, 0xfe);
  await expectTerminated('DataOffset 26', async (peer) => {
    await negotiated(peer);
    await peer.send(dataMessageBytes({ data, dataOffset: 26 }));
  });
  await expectTerminated('data past the message', async (peer) => {
    await negotiated(peer);
    await peer.send(dataMessageBytes({ data, dataLength: 1000 }));
  });
  await expectTerminated('0 credits requested', async (peer) => {
    await negotiated(peer);
    await peer.send(dataMessageBytes({ data, creditsRequested: 0 }));
  });
  await expectTerminated('fragment announcing 2 MiB', async (peer) => {
    await negotiated(peer);
    await peer.send(dataMessageBytes({ data, remainingDataLength: 2 * MiB }));
  });
  await expectTerminated('fragments that do not add up', async (peer) => {
    await negotiated(peer);
    await peer.send(dataMessageBytes({ data, remainingDataLength: 1000 }));
    await peer.send(dataMessageBytes({ data, remainingDataLength: 5000 }), 1);
  });
  await until('every hostile connection gone', () => srv.listener.connectionCount === 0);
});

test('descriptors with a wrong token, an offset past the buffer or a length beyond it end the connection; pages come back', async () => {
  const file = randomBytes(256 * 1024);
  await writeFile(join(srv.fixture.dir, 'victim.bin'), file);
  const cases = [
    { name: 'READ, wrong token', command: Command.READ, desc: (a: bigint, k: number) => ({ offset: a, token: (k ^ 0x5500) >>> 0, length: 65536 }) },
    { name: 'READ, offset past the buffer', command: Command.READ, desc: (a: bigint, k: number) => ({ offset: a + 64n * 1024n * 1024n, token: k, length: 65536 }) },
    { name: 'READ, length beyond the buffer', command: Command.READ, desc: (a: bigint, k: number) => ({ offset: a + BigInt(8 * MiB - 4096), token: k, length: 65536 }) },
    { name: 'WRITE, wrong token', command: Command.WRITE, desc: (a: bigint, k: number) => ({ offset: a, token: (k ^ 0x5500) >>> 0, length: 65536 }) },
    { name: 'WRITE, length beyond the buffer', command: Command.WRITE, desc: (a: bigint, k: number) => ({ offset: a + BigInt(8 * MiB - 4096), token: k, length: 65536 }) },
  ];
  for (const c of cases) {
    const s = await withTimeout(session(), `${c.name}: a session`);
    const closed = new Promise<void>((resolve) => s.transport.onClose(() => resolve()));
    const h = await s.tree.create('victim.bin', { desiredAccess: 0x12019f });
    const buf = s.transport.registerBuffer(8 * MiB);
    const channelInfo = [c.desc(buf.mr.addr, buf.mr.rkey)];
    const body = c.command === Command.READ
      ? encodeReadRequest({ flags: 0, length: 65536, offset: 0, fileId: h.fileId, minimumCount: 0, channel: 1, remainingBytes: 0, channelInfo })
      : encodeWriteRequestHeader({ offset: 0, fileId: h.fileId, channel: 1, remainingBytes: 65536, flags: 0, channelInfo, length: 0 });
    const outcome = await withTimeout(s.client.request(c.command, body, { treeId: s.tree.treeId, creditCharge: 1 }).then(() => 'answered', (err: Error) => err.message), c.name);
    assert.match(outcome, /closed/, `${c.name}: the request fails with the connection`);
    await withTimeout(closed, `${c.name}: the connection to close`);
    await s.close();
    await until(`${c.name}: pinned pages back to idle`, () => srv.pinnedPages() === 0);
  }
  assert.ok((await readFile(join(srv.fixture.dir, 'victim.bin'))).equals(file), 'no hostile WRITE changed the file');
});

test('a client that vanishes with WRITEs in flight: the server cleans up and serves the next client', async () => {
  const s = await session();
  const h = await s.tree.create('vanish.bin', { desiredAccess: 0x12019f, disposition: 5 });
  const writing = s.io.write(h.fileId, 0, randomBytes(4 * MiB), { descriptors: 4 }).catch((err: Error) => err);
  // Abort while the server is processing the WRITE, i.e. pulling its data by RDMA READ.
  await until('the server to be processing the WRITE', () => srv.fixture.server.accounting().requestBytes > 0, 5000);
  s.transport.conn.abort();
  assert.ok((await withTimeout(writing, 'the aborted write')) instanceof Error);
  await s.close();
  await until('the server to drop the vanished connection', () => srv.listener.connectionCount === 0, 20_000);
  await until('pinned pages back to idle', () => srv.pinnedPages() === 0);
});

test('after every hostile peer the server still serves a second client', async () => {
  const s = await session();
  try {
    const data = randomBytes(200_000);
    await s.io.writeFile('after.bin', data, { descriptors: 2, invalidate: true });
    assert.ok((await s.io.readFile('after.bin', { descriptors: 5 })).equals(data));
  } finally {
    await s.close();
  }
  await until('no connections left', () => srv.listener.connectionCount === 0);
  assert.equal(srv.pinnedPages(), 0);
  assert.ok(srv.counters.protocolErrors >= 10, `protocol errors counted: ${srv.counters.protocolErrors}`);
  assert.ok(srv.warnings.some((w) => w.includes('credit')), `the overrun was logged: ${srv.warnings.join('\n')}`);
});

test('closing the listener ends its connections (work flushed) and releases the device', async () => {
  const listener = createSmbDirectListener({
    port: 0, addresses: [GUEST_IP], maxIoSize: MiB, cache: srv.cache, binding, log: silentLogger,
    metrics: { rdmaWrite() {}, rdmaRead() {}, creditStall() {}, protocolError() {} },
  });
  let accepted!: (t: Transport) => void;
  const serverSide = new Promise<Transport>((resolve) => (accepted = resolve));
  const { port } = await listener.listen((t) => accepted(t));
  const transport = await SmbDirectClientTransport.connect({ host: GUEST_IP, port, binding });
  const clientClosed = new Promise<Error | undefined>((resolve) => transport.onClose(resolve));
  const t = await withTimeout(serverSide, 'the server side of the connection');
  const buf = transport.registerBuffer(MiB);
  // A WRITE of 1 MiB in flight while the listener closes: it completes or fails, never hangs.
  const writing = t.rdmaWrite!([{ offset: buf.mr.addr, token: buf.mr.rkey, length: MiB }], { chunks: [randomBytes(MiB)] }).then(() => 'done', (e: Error) => e.message);
  await withTimeout(listener.close(), 'listener.close()');
  assert.match(await withTimeout(writing, 'the in-flight WRITE to settle'), /done|closed|FLUSH/);
  assert.match((await withTimeout(clientClosed, 'the client to see the disconnect'))?.message ?? '', /closed/);
  await transport.shutdown();
  const refused = await SmbDirectClientTransport.connect({ host: GUEST_IP, port, binding }).then(() => 'connected', (e: Error) => e.message);
  assert.match(refused, /REJECTED|UNREACHABLE|CONNECT_ERROR/, 'nobody listens any more');
});

test('connect requests beyond the per-address limit are rejected before any set-up; a freed slot is served again', async () => {
  const limits: string[] = [];
  const listener = createSmbDirectListener({
    port: 0, addresses: [GUEST_IP], maxIoSize: MiB, cache: srv.cache, binding, log: silentLogger,
    connectionLimits: { maxConnections: 100, maxConnectionsPerAddress: 2 },
    metrics: { rdmaWrite() {}, rdmaRead() {}, creditStall() {}, protocolError() {}, limitHit: (l) => limits.push(l) },
  });
  const handedOver: Transport[] = [];
  const { port } = await listener.listen((t) => handedOver.push(t));
  // Two peers that connect and never negotiate hold both slots of the address.
  const holders = [await RawSmbdPeer.connect(binding, GUEST_IP, port), await RawSmbdPeer.connect(binding, GUEST_IP, port)];
  try {
    const third = await RawSmbdPeer.connect(binding, GUEST_IP, port).then((p) => p.close().then(() => 'connected'), (e: Error) => e.message);
    assert.match(third, /REJECTED/);
    assert.deepEqual(limits, ['connections_per_address']);
    await holders.shift()!.close();
    // The slot comes back once the server has seen the disconnect.
    await until('a slot to come back', () => (listener as unknown as { connectionCount: number }).connectionCount < 2);
    const transport = await withTimeout(SmbDirectClientTransport.connect({ host: GUEST_IP, port, binding }), 'a connect after a slot came back');
    await transport.shutdown();
    assert.equal(handedOver.length, 1, 'the later client was negotiated and handed over');
  } finally {
    for (const peer of holders) await peer.close();
    await listener.close();
  }
});

test('inline READ and WRITE (no RDMA channel) of a 3 MiB file stay within MaxFragmentedSize', async () => {
  const s = await session();
  try {
    assert.ok(s.client.maxReadSize <= s.transport.maxInlineBytes && s.client.maxWriteSize <= s.transport.maxInlineBytes, 'sizes within the inline limit');
    const data = randomBytes(3 * MiB + 5);
    await withTimeout(s.tree.writeFile('inline-3m.bin', data), 'inline writeFile');
    const back = await withTimeout(s.tree.readFile('inline-3m.bin'), 'inline readFile');
    assert.ok(back.equals(data), 'byte-identical');
  } finally {
    await s.close();
  }
});
