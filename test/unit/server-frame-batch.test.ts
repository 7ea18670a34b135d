/**
 * The send side of direct TCP (server/frame-batch.ts through server/framed-socket.ts): frames
 * sent in one event-loop turn leave in one socket write, in order; a lone frame is not held back;
 * a peer that does not read holds its senders; a closed socket refuses what was queued.
 * Socket writes are counted on a real loopback socket (its _write and _writev).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex, Writable } from 'node:stream';
import { FramedSocket, type FrameLimits } from '../../server/framed-socket.js';
import { FrameBatch, COALESCE_MAX_PART } from '../../server/frame-batch.js';
import { socketPair, directTcpHeaderBytes as header } from '../support/socket-pair.js';
import { cat } from '../support/bytes.js';

/** Counts the socket's low-level writes (each is one write or writev system call when the kernel takes it). */
function countWrites(socket: net.Socket): { writes: number; chunks: Buffer[][] } {
  const seen = { writes: 0, chunks: [] as Buffer[][] };
  const s = socket as unknown as {
    _write(chunk: Buffer, enc: string, cb: (err?: Error) => void): void;
    _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error) => void): void;
  };
  const write = s._write.bind(s);
  const writev = s._writev.bind(s);
  s._write = (chunk, enc, cb) => {
    seen.writes++;
    seen.chunks.push([chunk]);
    write(chunk, enc, cb);
  };
  s._writev = (chunks, cb) => {
    seen.writes++;
    seen.chunks.push(chunks.map((c) => c.chunk));
    writev(chunks, cb);
  };
  return seen;
}

function limits(over: Partial<FrameLimits> = {}): FrameLimits {
  return { maxMessageBytes: 1 << 24, frameTimeoutMs: 0, ...over };
}

/** Read exactly `n` bytes from a socket. */
function readBytes(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let have = 0;
    const onData = (d: Buffer) => {
      got.push(d);
      have += d.length;
      if (have < n) return;
      socket.off('data', onData);
      socket.pause();
      resolve(Buffer.concat(got).subarray(0, n));
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

test('frames sent in one turn go out in one socket write, in order, each with its header', async () => {
  const p = await socketPair();
  try {
    const end = new FramedSocket(p.accepted, limits());
    const counted = countWrites(p.accepted);
    const big = Buffer.alloc(COALESCE_MAX_PART * 4, 0xbb);
    const sends = [
      end.send([Buffer.from('first')]),
      end.send([Buffer.from('sec'), Buffer.from('ond')]),
      end.send([Buffer.from('head'), big]),
      end.send([Buffer.from('last')]),
    ];
    await Promise.all(sends);
    assert.equal(counted.writes, 1, 'one socket write for the whole turn');
    const expected = cat(
      header(5), Buffer.from('first'),
      header(6), Buffer.from('second'),
      header(4 + big.length), Buffer.from('head'), big,
      header(4), Buffer.from('last'),
    );
    assert.deepEqual(await readBytes(p.client, expected.length), expected);
    assert.ok(counted.chunks[0].includes(big), 'a large part is handed to the socket as it is, not copied');
  } finally {
    p.close();
  }
});

test('frames of different turns are different writes; the later turn follows the earlier one', async () => {
  const p = await socketPair();
  try {
    const end = new FramedSocket(p.accepted, limits());
    const counted = countWrites(p.accepted);
    await end.send([Buffer.from('one')]);
    await end.send([Buffer.from('two')]);
    assert.equal(counted.writes, 2);
    assert.deepEqual(await readBytes(p.client, 14), cat(header(3), Buffer.from('one'), header(3), Buffer.from('two')));
  } finally {
    p.close();
  }
});

test('a lone frame is written before any timer or immediate of its turn runs', async () => {
  const p = await socketPair();
  try {
    const end = new FramedSocket(p.accepted, limits());
    const counted = countWrites(p.accepted);
    const atImmediate = new Promise<number>((resolve) => setImmediate(() => resolve(counted.writes)));
    const atTimer = new Promise<number>((resolve) => setTimeout(() => resolve(counted.writes), 0));
    const sent = end.send([Buffer.from('alone')]);
    assert.equal(counted.writes, 0, 'nothing is written inside send() itself');
    assert.equal(await atImmediate, 1);
    assert.equal(await atTimer, 1);
    await sent;
    assert.deepEqual(await readBytes(p.client, 9), cat(header(5), Buffer.from('alone')));
  } finally {
    p.close();
  }
});

test('a peer that does not read holds the send until it reads (back-pressure)', async () => {
  const p = await socketPair();
  try {
    p.client.pause();
    const end = new FramedSocket(p.accepted, limits());
    const frame = Buffer.alloc(0xfffff0, 7); // more than loopback buffers take at once
    let settled = false;
    const sent = end.send([frame]).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, 'not resolved while the kernel cannot take it');
    assert.ok(p.accepted.writableLength > 0);
    const read = readBytes(p.client, frame.length + 4);
    await sent;
    assert.equal((await read).length, frame.length + 4);
  } finally {
    p.close();
  }
});

test('a send-stall limit still closes a connection whose peer does not read', async () => {
  const p = await socketPair();
  try {
    p.client.pause();
    const hits: string[] = [];
    const end = new FramedSocket(p.accepted, limits({ frameTimeoutMs: 150, limitHit: (l) => hits.push(l) }));
    const reason = new Promise<Error | undefined>((resolve) => end.onClose(resolve));
    const sent = end.send([Buffer.alloc(0xfffff0)]);
    sent.catch(() => {});
    assert.match(String((await reason)?.message), /does not read/);
    assert.deepEqual(hits, ['send_timeout']);
    await assert.rejects(sent);
  } finally {
    p.close();
  }
});

/**
 * A socket whose kernel takes a write only when the test says so, one write at a time (no
 * _writev): writableLength is what the test has not taken yet. Enough of net.Socket for FramedSocket.
 */
class SlowSocket extends Duplex {
  private readonly waiting: Array<() => void> = [];
  override _read(): void {}
  override _write(_chunk: Buffer, _enc: string, cb: () => void): void {
    this.waiting.push(cb);
  }
  setNoDelay(): this {
    return this;
  }
  /** The kernel takes the oldest write. */
  takeOne(): void {
    this.waiting.shift()?.();
  }
}

test('a slow peer that keeps taking data is not cut off while more is queued than it takes; one that stops is', async () => {
  const socket = new SlowSocket();
  const hits: string[] = [];
  const end = new FramedSocket(socket as unknown as net.Socket, limits({ frameTimeoutMs: 100, limitHit: (l) => hits.push(l) }));
  const reason = new Promise<Error | undefined>((resolve) => end.onClose(resolve));
  const sends: Array<Promise<void>> = [];
  const sendInOwnTurn = async () => {
    sends.push(end.send([Buffer.alloc(1000)]));
    await new Promise((r) => setImmediate(r));
  };
  await sendInOwnTurn();
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, 40));
    socket.takeOne();
    await sendInOwnTurn();
    await sendInOwnTurn();
  }
  assert.ok(socket.writableLength > 10_000, 'the queue grew while the peer took data');
  assert.deepEqual(hits, [], 'progress kept the connection');
  const started = Date.now();
  const keepAlive = setInterval(() => {}, 20); // the limit's timer is unref'd and this fake holds no handle
  try {
    assert.match(String((await reason)?.message), /does not read/);
  } finally {
    clearInterval(keepAlive);
  }
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(hits, ['send_timeout']);
  for (const s of sends) s.catch(() => {});
});

test('frames queued when the socket closes in the same turn are refused, and later sends too', async () => {
  const p = await socketPair();
  try {
    const end = new FramedSocket(p.accepted, limits());
    const counted = countWrites(p.accepted);
    const a = end.send([Buffer.from('a')]);
    const b = end.send([Buffer.from('b')]);
    p.accepted.destroy();
    await assert.rejects(a, /connection closed/);
    await assert.rejects(b, /connection closed/);
    assert.equal(counted.writes, 0);
    await assert.rejects(end.send([Buffer.from('c')]), /connection closed/);
  } finally {
    p.close();
  }
});

test('frames queued before a disconnect in the same turn are written first and resolve', async () => {
  const p = await socketPair();
  try {
    const end = new FramedSocket(p.accepted, limits());
    const sent = end.send([Buffer.from('bye')]);
    end.disconnect();
    await sent;
    assert.deepEqual(await readBytes(p.client, 7), cat(header(3), Buffer.from('bye')));
  } finally {
    p.close();
  }
});

test('a frame too large for the 24-bit length is refused alone; the others of its turn still go', async () => {
  const sink = new CountingSink();
  const batch = new FrameBatch(sink);
  const ok = batch.frame([Buffer.from('ok')]);
  const tooLarge = batch.frame([Buffer.alloc(0x800000), Buffer.alloc(0x800000)]);
  await assert.rejects(tooLarge, RangeError);
  await ok;
  assert.equal(sink.calls, 1);
  assert.deepEqual(Buffer.concat(sink.received), cat(header(2), Buffer.from('ok')));
});

test('a write error rejects every frame of the batch', async () => {
  const sink = new CountingSink(new Error('EPIPE'));
  sink.on('error', () => {}); // a socket's owner listens too (FramedSocket)
  const batch = new FrameBatch(sink);
  const a = batch.frame([Buffer.from('a')]);
  const b = batch.frame([Buffer.from('b')]);
  await assert.rejects(a, /EPIPE/);
  await assert.rejects(b, /EPIPE/);
});

/** A stream that records each underlying write (one per _write or _writev). */
class CountingSink extends Writable {
  calls = 0;
  received: Buffer[] = [];
  constructor(private readonly fail?: Error) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: (err?: Error | null) => void): void {
    this.calls++;
    this.received.push(chunk);
    cb(this.fail ?? null);
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.calls++;
    for (const c of chunks) this.received.push(c.chunk);
    cb(this.fail ?? null);
  }
}
