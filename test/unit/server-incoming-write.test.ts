/**
 * A large lone unsigned WRITE reaches the pipeline as soon as its header and fixed part are in
 * (IncomingWrite), and its data goes straight into the memory its handler names: what came
 * before is copied there once, the rest is read there in place. Anything else waits for its last
 * byte, as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cat, le64 } from '../support/bytes.js';
import { smb2Header, writeRequestPdu } from '../support/server-pdus.js';
import { countingPool } from '../support/counting-pool.js';
import { DirectTcpFramer, directTcpHeader } from '../../server/direct-tcp-framer.js';
import { MessagePieces, contiguousPart, type ReceivedMessage } from '../../server/message-pieces.js';
import { IncomingWrite } from '../../server/incoming-write.js';
import type { FillTarget } from '../../server/file-io.js';
import { sharedReadSocket } from '../../server/framed-socket.js';
import { TcpTransport, receivePool } from '../../server/tcp-transport.js';
import { DEFAULT_LIMITS } from '../../server/options.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import { Access, CreateDisposition } from '../../smb2/constants.js';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { acceptedPair } from '../support/accepted-pair.js';

const KiB = 1024;
const SIGNED = 0x8;
const RDMA_V1 = 1;

function streamingFramer(blockBytes = 64 * KiB) {
  const pool = countingPool(blockBytes);
  return { pool, framer: new DirectTcpFramer(1 << 24, { piecesFrom: 64 * KiB, pool, pooledFrom: 2048, streamFrom: 64 * KiB }) };
}

/** Targets as the cache makes them: neighbouring page views of one memory, and a heap piece. */
function targetsFor(length: number): { targets: FillTarget[]; memory: Buffer[] } {
  const slab = Buffer.alloc(length - 1000);
  const heap = Buffer.alloc(1000);
  const targets: FillTarget[] = [];
  for (let at = 0; at < slab.length; at += 4096) targets.push({ bytes: slab.subarray(at, Math.min(at + 4096, slab.length)), region: null });
  targets.push({ bytes: heap, region: null });
  return { targets, memory: [slab, heap] };
}

/**
 * Feed `stream` to the framer as a socket would: into the shared buffer `size` bytes at a time,
 * or in place wherever the framer names memory (at most `size` bytes per read, as a read may
 * stop short). `onMessage` sees each message as soon as the framer hands it over.
 */
function feed(framer: DirectTcpFramer, stream: Buffer, size: number, onMessage: (m: ReceivedMessage) => void): { inPlace: number } {
  let inPlace = 0;
  for (let at = 0; at < stream.length; ) {
    const target = framer.readTarget();
    if (target) {
      const n = Math.min(size, target.length, stream.length - at);
      stream.copy(target, 0, at, at + n);
      framer.placed(n);
      inPlace += n;
      at += n;
      continue;
    }
    const transient = Buffer.from(stream.subarray(at, at + size)); // the socket's shared read buffer
    for (const m of framer.push(transient)) onMessage(m);
    transient.fill(0xee); // the next read overwrites it
    at += transient.length;
  }
  return { inPlace };
}

test('a large lone WRITE is handed over after its first 112 bytes; its data lands in the targets, whatever the split, and the next frame follows', async () => {
  const data = randomBytes(300 * KiB + 17);
  const after = randomBytes(100);
  const stream = cat(directTcpHeader(112 + data.length), writeRequestPdu(data), directTcpHeader(after.length), after);
  for (const size of [1000, 4096, 65536, 128 * KiB + 3, stream.length]) {
    const { framer, pool } = streamingFramer();
    const got: ReceivedMessage[] = [];
    let filled: Promise<number> | undefined;
    let memory: Buffer[] = [];
    const { inPlace } = feed(framer, stream, size, (m) => {
      got.push(m);
      if (m instanceof IncomingWrite) {
        assert.equal(m.complete, size >= stream.length, `chunk size ${size}: handed over before its data is in (unless it came at once)`);
        const t = targetsFor(m.dataLength);
        memory = t.memory;
        filled = m.fillInto(t.targets);
      }
    });
    assert.equal(got.length, 2, `chunk size ${size}`);
    const [write, next] = got;
    assert.ok(write instanceof IncomingWrite);
    assert.ok(write.head.equals(writeRequestPdu(data).subarray(0, 112)), 'the head is the header and fixed part');
    assert.equal(await filled, inPlace, 'fillInto reports the bytes read in place');
    assert.ok(Buffer.concat(memory).equals(data), `chunk size ${size}: the targets hold the data exactly`);
    // In place: all after the handler asked, but the last span's final stretch under 64 KiB and the heap piece.
    const least = data.length - 2 * size - 64 * KiB - 1000;
    assert.ok(inPlace >= least, `chunk size ${size}: ${inPlace} bytes read in place, at least ${least} expected`);
    assert.ok(Buffer.isBuffer(next) && next.equals(after), 'the frame after it is intact');
    assert.equal(contiguousPart(write).incoming, write);
    assert.equal(contiguousPart(write).message, write.head);
    write.release();
    assert.equal(pool.given, pool.taken, 'every receive block came back');
    assert.equal(framer.partial, false);
  }
});

test('a handler that asks late: what came before is copied, the rest read in place', async () => {
  const data = randomBytes(256 * KiB);
  const stream = cat(directTcpHeader(112 + data.length), writeRequestPdu(data));
  const { framer, pool } = streamingFramer();
  let write: IncomingWrite | undefined;
  feed(framer, stream.subarray(0, 100 * KiB), 8 * KiB, (m) => (write = m as IncomingWrite));
  assert.ok(write && !write.complete);
  assert.ok(pool.taken > 0, 'data before the targets waits in receive blocks');
  const { targets, memory } = targetsFor(data.length);
  const filled = write.fillInto(targets);
  assert.equal(pool.given, pool.taken, 'copied to the targets, the blocks go back at once');
  const { inPlace } = feed(framer, stream.subarray(100 * KiB), 8 * KiB, () => assert.fail('nothing more is handed over'));
  const rest = stream.length - 100 * KiB;
  assert.ok(inPlace <= rest && inPlace >= rest - 64 * KiB - 1000, `${inPlace} of the last ${rest} bytes read in place`);
  assert.equal(await filled, inPlace);
  assert.ok(Buffer.concat(memory).equals(data));
  await assert.rejects(write.fillInto(targets), /already taken/);
});

test('targets scattered a page at a time are filled by copies out of large reads, never by a read per page', async () => {
  const data = randomBytes(256 * KiB);
  const { framer } = streamingFramer();
  let write: IncomingWrite | undefined;
  const pages = Array.from({ length: data.length / 4096 }, () => Buffer.alloc(4096)); // each its own memory
  let filled: Promise<number> | undefined;
  const { inPlace } = feed(framer, cat(directTcpHeader(112 + data.length), writeRequestPdu(data)), 16 * KiB, (m) => {
    write = m as IncomingWrite;
    filled = write.fillInto(pages.map((bytes) => ({ bytes, region: null })));
  });
  assert.equal(inPlace, 0);
  assert.equal(await filled, 0);
  assert.ok(Buffer.concat(pages).equals(data));
});

test('whole(): a WRITE whose data cannot be read into its file gets it as receive blocks once all is in', async () => {
  const data = randomBytes(200 * KiB);
  const { framer, pool } = streamingFramer();
  let write: IncomingWrite | undefined;
  feed(framer, cat(directTcpHeader(112 + data.length), writeRequestPdu(data)).subarray(0, 50 * KiB), 4096, (m) => (write = m as IncomingWrite));
  const whole = write!.whole();
  feed(framer, writeRequestPdu(data).subarray(50 * KiB - 4), 4096, () => assert.fail());
  assert.ok(Buffer.concat(await whole).equals(data));
  assert.ok(pool.given < pool.taken, 'held until released');
  write!.release();
  assert.equal(pool.given, pool.taken);
});

test('WRITEs back to back whose handlers take the data late: each gets its own bytes, though the next one filled the same blocks first', async () => {
  const datas = [randomBytes(100 * KiB + 5), randomBytes(130 * KiB), randomBytes(70 * KiB + 1)];
  const stream = cat(...datas.flatMap((data, i) => [directTcpHeader(112 + data.length), writeRequestPdu(data, { messageId: i })]));
  for (const size of [4096, 64 * KiB + 7, stream.length]) {
    const { framer, pool } = streamingFramer();
    const writes: IncomingWrite[] = [];
    feed(framer, stream, size, (m) => writes.push(m as IncomingWrite));
    assert.equal(writes.length, 3);
    const got = await Promise.all(writes.map((w) => w.whole()));
    got.forEach((views, i) => assert.ok(Buffer.concat(views).equals(datas[i]), `chunk size ${size}: WRITE ${i}`));
    for (const w of writes) w.release();
    assert.equal(pool.given, pool.taken, `chunk size ${size}`);
  }
});

test('a WRITE refused before it asked for its data: the rest is dropped as it comes, the blocks go back, the next frame is intact', () => {
  const data = randomBytes(300 * KiB);
  const after = randomBytes(1000);
  const stream = cat(directTcpHeader(112 + data.length), writeRequestPdu(data), directTcpHeader(after.length), after);
  const { framer, pool } = streamingFramer();
  const got: ReceivedMessage[] = [];
  feed(framer, stream, 16 * KiB, (m) => {
    got.push(m);
    if (m instanceof IncomingWrite) m.release();
  });
  assert.equal(got.length, 2);
  assert.ok(Buffer.isBuffer(got[1]) && got[1].equals(after));
  assert.equal(pool.given, pool.taken);
  // One block for the data that came in the head's read: the rest, dropped, took none.
  assert.equal(pool.taken, 1, 'dropped bytes are not kept');
});

test('the connection ends mid-data: fillInto and whole reject, the blocks go back', async () => {
  const data = randomBytes(200 * KiB);
  const stream = cat(directTcpHeader(112 + data.length), writeRequestPdu(data));
  for (const ask of ['fillInto', 'whole', 'nothing'] as const) {
    const { framer, pool } = streamingFramer();
    let write: IncomingWrite | undefined;
    feed(framer, stream.subarray(0, 90 * KiB), 4096, (m) => (write = m as IncomingWrite));
    const asked = ask === 'fillInto' ? write!.fillInto(targetsFor(data.length).targets) : ask === 'whole' ? write!.whole() : undefined;
    framer.discard();
    if (asked) await assert.rejects(asked, /connection closed/);
    write!.release();
    assert.equal(pool.given, pool.taken, ask);
  }
});

test('targets that do not hold exactly the data are refused', async () => {
  const data = randomBytes(100 * KiB);
  const { framer } = streamingFramer();
  let write: IncomingWrite | undefined;
  feed(framer, cat(directTcpHeader(112 + data.length), writeRequestPdu(data)).subarray(0, 200), 200, (m) => (write = m as IncomingWrite));
  await assert.rejects(write!.fillInto([{ bytes: Buffer.alloc(data.length - 1), region: null }]), RangeError);
});

test('only a lone unsigned inline WRITE whose data fills the frame is handed over early; anything else arrives whole, in pieces', () => {
  const data = randomBytes(100 * KiB);
  const cases: Array<[string, Buffer]> = [
    ['signed', writeRequestPdu(data, { flags: SIGNED })],
    ['compound', writeRequestPdu(data, { nextCommand: 1048 })],
    ['RDMA channel', writeRequestPdu(data, { channel: RDMA_V1 })],
    ['data not right after the fixed part', writeRequestPdu(data, { dataOffset: 120 })],
    ['bytes after the data', cat(writeRequestPdu(data), Buffer.alloc(8))],
    ['not a WRITE', cat(smb2Header({ command: 8, messageId: 5 }), data)],
    ['not SMB2', Buffer.alloc(100 * KiB, 0xfd)],
  ];
  for (const [why, message] of cases) {
    const { framer, pool } = streamingFramer();
    const got: ReceivedMessage[] = [];
    feed(framer, cat(directTcpHeader(message.length), message), 4096, (m) => got.push(m));
    assert.equal(got.length, 1, why);
    assert.ok(got[0] instanceof MessagePieces && got[0].join().equals(message), `${why}: whole, in pieces`);
    got[0].release();
    assert.equal(pool.given, pool.taken, why);
  }
  const small = writeRequestPdu(randomBytes(60 * KiB));
  const { framer } = streamingFramer();
  const got: ReceivedMessage[] = [];
  feed(framer, cat(directTcpHeader(small.length), small), 4096, (m) => got.push(m));
  assert.ok(got[0] instanceof MessagePieces, 'a WRITE below streamFrom waits for its end');
});

test('TCP: a pause while a handed-over WRITE is arriving takes effect after its data; the data is read into the targets in place', { timeout: 10_000 }, async () => {
  const { server, accepted, client } = await acceptedPair();
  const shared = sharedReadSocket(accepted)!;
  const transport = new TcpTransport(shared.socket, { maxMessageBytes: 1 << 24, frameTimeoutMs: 0 }, receivePool(), shared.chunks);
  const data = randomBytes(2 * 1024 * KiB);
  const { targets, memory } = targetsFor(data.length);
  const after = randomBytes(500);
  const got: ReceivedMessage[] = [];
  let filled: Promise<number> | undefined;
  transport.onMessage((m) => {
    got.push(m);
    if (!(m instanceof IncomingWrite)) return;
    transport.pause(); // as the connection's gate does at its in-flight limit
    filled = m.fillInto(targets);
  });
  const message = writeRequestPdu(data);
  client.write(cat(directTcpHeader(message.length), message.subarray(0, 200)));
  while (!filled) await new Promise((r) => setTimeout(r, 5));
  client.write(message.subarray(200));
  const inPlace = await filled;
  assert.ok(Buffer.concat(memory).equals(data), 'the targets hold the data');
  assert.ok(inPlace > data.length / 2, `most of it read in place (${inPlace} of ${data.length})`);
  client.write(cat(directTcpHeader(after.length), after));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(got.length, 1, 'paused once the WRITE was in: the next frame waits');
  transport.resume();
  for (let i = 0; i < 100 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(Buffer.isBuffer(got[1]) && got[1].equals(after));
  (got[0] as IncomingWrite).release();
  client.destroy();
  transport.disconnect();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('server: a WRITE whose data stops coming holds its pages until the frame timeout closes the connection, then gives them back; the file is unchanged', async () => {
  const cache = new PageCache({ maxBytes: 32 * 1024 * KiB });
  const f = await startServer({ limits: { ...DEFAULT_LIMITS, frameTimeoutMs: 500 } }, { fileIo: new CacheFileIoProvider(cache) });
  try {
    const { c, tree } = await treeClient(f);
    const h = await tree.create('t.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0, disposition: CreateDisposition.OPEN_IF });
    const before = randomBytes(1024 * KiB);
    await tree.write(h.fileId, 0, before);
    const free = () => cache.counters().pages.free;
    const freeBefore = free();
    const conn = c.conn as unknown as { nextMessageId: bigint; transport: { sendRaw(b: Buffer): void } };
    const fileId = cat(le64(h.fileId.persistent), le64(h.fileId.volatile));
    const write = writeRequestPdu(Buffer.alloc(1024 * KiB, 0x42), { messageId: conn.nextMessageId, sessionId: c.sessionId, treeId: tree.treeId, fileId });
    write.writeUInt16LE(16, 6); // CreditCharge for 1 MiB, [MS-SMB2] 3.1.5.2
    conn.transport.sendRaw(cat(directTcpHeader(write.length), write.subarray(0, 300 * KiB)));
    for (let i = 0; i < 100 && free() === freeBefore; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(free() < freeBefore, 'the handler took fresh pages for the data');
    const closed = new Promise<void>((resolve) => c.conn.transport.onClose(() => resolve()));
    assert.notEqual(await Promise.race([closed, new Promise((r) => setTimeout(() => r('timeout'), 5000))]), 'timeout', 'closed by the frame timeout');
    for (let i = 0; i < 100 && free() !== freeBefore; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(free(), freeBefore, 'every fresh page came back');
    const other = await treeClient(f);
    const h2 = await other.tree.create('t.bin', { desiredAccess: Access.GENERIC_READ, disposition: CreateDisposition.OPEN });
    assert.ok((await other.tree.read(h2.fileId, 0, before.length)).equals(before), 'no byte of the unfinished WRITE landed');
    await other.c.close();
  } finally {
    await f.close();
    await cache.shutdown();
  }
});
