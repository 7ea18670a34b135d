/**
 * READ payloads (pinned cache pages) are released on every path: dropped compounds,
 * responses too large for the transport, connection loss. Issue 9, findings 3 and 6.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { smb2Header } from '../support/server-pdus.js';
import { cat, zeros } from '../support/bytes.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Access, Command, Dialect, HeaderFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { encodeReadRequest, decodeReadResponse } from '../../smb2/commands/read.js';
import type { FileId } from '../../smb2/commands/create.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import net from 'node:net';
import type { ClientTransport } from '../../client/transport.js';
import { DirectTcpFramer, writeDirectTcpFrame } from '../../server/direct-tcp-framer.js';
import { DEFAULT_LIMITS } from '../../server/options.js';
import { noTelemetry } from '../../server/telemetry.js';
import { copiedBytesOf } from '../../server/file-io.js';
import { SplicedMetrics } from '../../ops/metrics.js';
import { parsePromText, sampleSum } from '../support/prom-text.js';

const MiB = 1024 * 1024;
const BIG = 8 * MiB;
let f: ServerFixture;
let cache: PageCache;
const metrics = new SplicedMetrics({ defaultMetrics: false });

before(async () => {
  cache = new PageCache({ maxBytes: 64 * MiB });
  f = await startServer({}, { fileIo: new CacheFileIoProvider(cache), telemetry: metrics });
  metrics.setCacheCounters(() => cache.counters());
  metrics.setServerAccounting(() => f.server.accounting());
  await writeFile(path.join(f.dir, 'big.bin'), Buffer.alloc(BIG, 0x5a));
});
after(async () => {
  await f.close();
  await cache.shutdown();
});

/** Pages held by readers: zero-copy (SPLICED) pages and private copies handed out for a READ. */
function pinnedPages(): number {
  const p = cache.counters().pages;
  return p.spliced + p.bounce;
}

async function settles(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleSum(parsePromText(await metrics.expose()), name, labels);
}

async function assertIdle(): Promise<void> {
  await settles(`pinned pages back to 0 (now ${pinnedPages()})`, () => pinnedPages() === 0);
  const a = f.server.accounting();
  assert.equal(a.readPayloads, 0, 'server-side READ payloads outstanding');
  assert.equal(a.readBytes, 0, 'server-side READ bytes outstanding');
  assert.equal(await metric('spliced_cache_pinned_pages'), 0, 'the pinned-page gauge is back to idle');
  assert.equal(await metric('spliced_read_payloads'), 0);
}

async function openBig(): Promise<{ c: Smb2Client; treeId: number; fileId: FileId; read: (n?: number) => Promise<Buffer> }> {
  const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD });
  const tree = await c.treeConnect('share');
  const { fileId } = await tree.create('big.bin');
  return { c, treeId: tree.treeId, fileId, read: (n = BIG) => tree.read(fileId, 0, n) };
}

function readBody(fileId: FileId, length = BIG): Buffer {
  return encodeReadRequest({ flags: 0, length, offset: 0, fileId, minimumCount: 0, channel: 0, remainingBytes: 0, channelInfo: [] });
}

/** The next unused MessageId of a client connection, learnt from an ECHO's response. */
async function nextMessageId(c: Smb2Client): Promise<bigint> {
  const r = await c.request(Command.ECHO, Buffer.from([4, 0, 0, 0]));
  return r.header.messageId + 1n;
}

/** [READ 8 MiB, second] as one compound, sent raw so the second PDU can be hostile. */
function hostileCompound(s: { c: Smb2Client; treeId: number; fileId: FileId }, first: bigint, second: { messageId: bigint; flags: number }): Buffer {
  const body = readBody(s.fileId);
  const read = cat(smb2Header({ command: Command.READ, messageId: first, creditCharge: 128, credits: 1, treeId: s.treeId, sessionId: s.c.sessionId }), body);
  const padded = cat(read, zeros((8 - (read.length % 8)) % 8));
  padded.writeUInt32LE(padded.length, 20); // NextCommand
  const echo = cat(smb2Header({ command: Command.ECHO, messageId: second.messageId, flags: second.flags, treeId: s.treeId, sessionId: s.c.sessionId }), Buffer.from([4, 0, 0, 0]));
  return cat(padded, echo);
}

async function closedBy(c: Smb2Client, send: () => Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => c.conn.transport.onClose(() => resolve()));
  await send();
  await closed;
}

test('a compound dropped after a cached READ (reused MessageId, SERVER_TO_REDIR) releases the READ\'s pages', async () => {
  const warm = await openBig();
  assert.equal((await warm.read()).length, BIG); // now cached
  warm.c.close();
  await assertIdle();
  for (const variant of ['reused MessageId', 'SERVER_TO_REDIR'] as const) {
    for (let round = 0; round < 3; round++) {
      const s = await openBig();
      const id = await nextMessageId(s.c);
      const second = variant === 'reused MessageId' ? { messageId: id, flags: 0 } : { messageId: id + 128n, flags: HeaderFlag.SERVER_TO_REDIR };
      await closedBy(s.c, () => s.c.conn.transport.send([hostileCompound(s, id, second)]));
      await assertIdle();
    }
  }
  const before = cache.counters();
  const s = await openBig();
  const data = await s.read();
  assert.equal(data.length, BIG);
  assert.ok(data.every((b) => b === 0x5a));
  const after = cache.counters();
  assert.equal(after.copiedBytes - before.copiedBytes, 0, 'a normal client still reads zero-copy');
  assert.ok(after.zeroCopyBytes - before.zeroCopyBytes >= BIG);
  s.c.close();
  await assertIdle();
});

test('three 8 MiB READs in one compound: the READs that do not fit get STATUS_INSUFFICIENT_RESOURCES, the connection keeps working', async () => {
  const s = await openBig();
  assert.equal((await s.read()).length, BIG);
  await s.c.echo(); // collect enough credits for three large-MTU READs
  const reads = [0, 1, 2].map(() => ({ command: Command.READ, body: readBody(s.fileId), opts: { sessionId: s.c.sessionId, treeId: s.treeId, creditCharge: 128 } }));
  const replies = await Promise.race([
    s.c.conn.compound(reads, false),
    new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref()),
  ]);
  assert.notEqual(replies, 'timeout', 'the compound got no answer');
  if (replies === 'timeout') return;
  assert.equal(replies[0].header.status, Status.SUCCESS);
  assert.equal(decodeReadResponse(replies[0].reader).data.length, BIG);
  for (const r of replies.slice(1)) assert.equal(r.header.status, Status.INSUFFICIENT_RESOURCES);
  assert.equal(await metric('spliced_limit_hits_total', { limit: 'compound_size' }), 2);
  await assertIdle();
  const again = await Promise.race([s.read(4096), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref())]);
  assert.notEqual(again, 'timeout', 'the connection is wedged after the compound');
  assert.equal((again as Buffer).length, 4096);
  s.c.close();
  await assertIdle();
});

/** A client transport whose reading can be stopped, to play a client that never reads its responses. */
async function pausableTransport(port: number): Promise<ClientTransport & { socket: net.Socket }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => socket.once('connect', resolve));
  const framer = new DirectTcpFramer(32 * MiB);
  let onMessage: (m: Buffer) => void = () => {};
  const closers: Array<() => void> = [];
  socket.on('data', (d) => framer.push(d).forEach((m) => onMessage(m)));
  socket.on('error', () => {});
  socket.on('close', () => closers.splice(0).forEach((c) => c()));
  return {
    socket,
    send: (parts) => writeDirectTcpFrame(socket, parts),
    onMessage: (h) => (onMessage = h),
    onClose: (h) => void closers.push(() => h()),
    close: () => socket.destroy(),
  };
}

test('a client that stops reading its responses is disconnected after the frame timeout, and its pinned pages are released', async () => {
  const hits: string[] = [];
  const slowCache = new PageCache({ maxBytes: 64 * MiB });
  const g = await startServer(
    { limits: { ...DEFAULT_LIMITS, frameTimeoutMs: 300 } },
    { fileIo: new CacheFileIoProvider(slowCache), telemetry: { ...noTelemetry, limitHit: (l) => hits.push(l) } },
  );
  try {
    await writeFile(path.join(g.dir, 'big.bin'), Buffer.alloc(BIG, 0x5a));
    const transport = await pausableTransport(g.port);
    const c = await Smb2Client.connect({ port: g.port, transport, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    const { fileId } = await tree.create('big.bin');
    await tree.read(fileId, 0, BIG); // cached from now on
    transport.socket.pause();
    const reads = [0, 1, 2, 3].map(() => tree.read(fileId, 0, BIG).catch(() => null));
    await settles('the server closed the connection', () => g.server.accounting().connections === 0);
    transport.socket.resume(); // let the client see the close
    await Promise.all(reads);
    assert.deepEqual(hits, ['send_timeout']);
    await settles('pinned pages released after the disconnect', () => slowCache.counters().pages.spliced + slowCache.counters().pages.bounce === 0);
    assert.equal(g.server.accounting().readPayloads, 0);
  } finally {
    await g.close();
    await slowCache.shutdown();
  }
});

test('a 1 MiB READ of a file with one dirty page: 4096 bytes are counted as copied (dirty) when sent, the rest as zero-copy', async () => {
  const behind = new PageCache({ maxBytes: 16 * MiB, writebackIntervalMs: 0, writeBehind: true });
  const counted = new SplicedMetrics({ defaultMetrics: false });
  const g = await startServer({}, { fileIo: new CacheFileIoProvider(behind), telemetry: counted });
  const count = async (name: string, labels: Record<string, string>): Promise<number> => sampleSum(parsePromText(await counted.expose()), name, labels);
  try {
    const content = Buffer.alloc(MiB);
    for (let i = 0; i < content.length; i++) content[i] = (i * 7 + (i >> 12)) & 0xff;
    await writeFile(path.join(g.dir, 'one-dirty.bin'), content);
    const c = await Smb2Client.connect({ port: g.port, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    const { fileId } = await tree.create('one-dirty.bin', { desiredAccess: (Access.GENERIC_WRITE | Access.GENERIC_READ) >>> 0 });
    assert.ok((await tree.read(fileId, 0, MiB)).equals(content), 'first read: caches the file');
    const zeroCopyBefore = await count('spliced_read_bytes_total', { transport: 'tcp', path: 'zerocopy' });
    assert.equal(zeroCopyBefore, MiB, 'a clean read is all zero-copy');
    await tree.write(fileId, 100 * 4096 + 5, Buffer.from('dirty'));
    content.write('dirty', 100 * 4096 + 5);
    assert.ok((await tree.read(fileId, 0, MiB)).equals(content), 'the read returns the dirty bytes');
    assert.equal(await count('spliced_read_bytes_total', { transport: 'tcp', path: 'copy' }), 4096);
    assert.equal(await count('spliced_read_copied_bytes_total', { transport: 'tcp', reason: 'dirty' }), 4096);
    assert.equal(await count('spliced_read_bytes_total', { transport: 'tcp', path: 'zerocopy' }) - zeroCopyBefore, MiB - 4096);
    c.close();
  } finally {
    await g.close();
    await behind.shutdown();
  }
});

test('copiedBytesOf: the copied part of the delivered bytes by reason, copied reasons first when fewer bytes went out', () => {
  const mixed = { path: 'copy' as const, copyReason: 'dirty', copiedByReason: { dirty: 4096, mapped: 8192 } };
  assert.deepEqual(copiedBytesOf(mixed, MiB), { dirty: 4096, mapped: 8192 });
  assert.deepEqual(copiedBytesOf(mixed, 6000), { dirty: 4096, mapped: 1904 });
  assert.deepEqual(copiedBytesOf({ path: 'zerocopy' }, MiB), {});
  assert.deepEqual(copiedBytesOf({ path: 'copy', copyReason: 'direct' }, 1000), { direct: 1000 }, 'without a breakdown every byte has the one reason');
  assert.deepEqual(copiedBytesOf({ path: 'copy' }, 10), { other: 10 });
});
