/**
 * Limits with server-wide accounting (issue 9, finding 7): announced frames cost only the
 * bytes that arrived, unauthenticated clients get small frames, connection counts are
 * capped in total and per address, idle and trickling connections are closed, and READ
 * data held for clients stays under its per-connection and server-wide limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { smb2Header, negotiateBody } from '../support/server-pdus.js';
import { cat } from '../support/bytes.js';
import { Command, Dialect } from '../../smb2/constants.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../../server/options.js';
import { noTelemetry, type Telemetry } from '../../server/telemetry.js';
import { DirectFileIoProvider } from '../../server/direct-file-io.js';
import { DirectTcpFramer } from '../../server/direct-tcp-framer.js';
import type { FileIo, FileIoProvider, ReadPayload } from '../../server/file-io.js';

const MiB = 1024 * 1024;

function countingTelemetry(): { t: Telemetry; hits: Map<string, number> } {
  const hits = new Map<string, number>();
  return { hits, t: { ...noTelemetry, limitHit: (limit) => hits.set(limit, (hits.get(limit) ?? 0) + 1) } };
}

async function limited(limits: Partial<ServerLimits>, deps: { fileIo?: FileIoProvider } = {}) {
  const tel = countingTelemetry();
  const f = await startServer({ limits: { ...DEFAULT_LIMITS, ...limits } }, { telemetry: tel.t, ...deps });
  return { f, hits: tel.hits };
}

function frame(msg: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(msg.length);
  return cat(h, msg);
}

const NEGOTIATE = frame(cat(smb2Header({ command: Command.NEGOTIATE, messageId: 0 }), negotiateBody()));

/** A raw connection that records whether the server answered and when it closed. */
class Raw {
  readonly socket: net.Socket;
  received = 0;
  closed: Promise<void>;
  isClosed = false;

  constructor(f: ServerFixture, localAddress?: string) {
    this.socket = net.connect({ host: '127.0.0.1', port: f.port, localAddress });
    this.socket.on('data', (d) => (this.received += d.length));
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
    void this.closed.then(() => (this.isClosed = true));
  }

  connected(): Promise<void> {
    return new Promise((resolve) => (this.socket.connecting ? this.socket.once('connect', () => resolve()) : resolve()));
  }

  /** Sends a NEGOTIATE: 'answered' when the server serves this connection, 'closed' when it refused it. */
  async negotiate(): Promise<'answered' | 'closed'> {
    await this.connected().catch(() => {});
    if (!this.isClosed) this.socket.write(NEGOTIATE);
    for (let i = 0; i < 250; i++) {
      if (this.received > 0) return 'answered';
      if (this.isClosed) return 'closed';
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('neither answered nor closed');
  }

  close(): void {
    this.socket.destroy();
  }
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
}

async function survivor(f: ServerFixture) {
  const { c, tree } = await treeClient(f, 'share', { dialects: [Dialect.SMB3_1_1] });
  await tree.writeFile('keep.txt', Buffer.from('still served'));
  const { fileId } = await tree.create('keep.txt');
  return { c, tree, check: async () => assert.equal((await tree.read(fileId, 0, 12)).toString(), 'still served') };
}

test('framer: an announced frame costs only the bytes that arrived', () => {
  const framer = new DirectTcpFramer(16 * MiB);
  assert.deepEqual(framer.push(cat([0, 0x80, 0, 0], Buffer.alloc(100))), []);
  assert.equal(framer.buffered, 100);
  assert.deepEqual(framer.push(Buffer.alloc(1000)), []);
  assert.equal(framer.buffered, 1100);
});

test('connections that announce 8 MiB frames and send little do not make the server allocate them', async () => {
  // Pre-auth frames as large as post-auth ones, to see the framer itself.
  const { f } = await limited({ maxPreauthMessageBytes: DEFAULT_LIMITS.maxMessageBytes });
  const raws: Raw[] = [];
  try {
    const heapBefore = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 20; i++) {
      const r = new Raw(f);
      await r.connected();
      r.socket.write(cat([0, 0x80, 0, 0], NEGOTIATE.subarray(4, 104)));
      raws.push(r);
    }
    for (let i = 0; i < 100 && f.server.status().connections.length < 20; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200)); // the 100 bytes of each have arrived
    const grown = process.memoryUsage().arrayBuffers - heapBefore;
    assert.ok(grown < 32 * MiB, `buffers grew by ${(grown / MiB).toFixed(1)} MiB for 20 announced 8 MiB frames`);
    const a = f.server.accounting();
    assert.equal(a.connections, 20);
    assert.equal(a.receiveBufferBytes, 20 * 100, 'the server holds what was sent, not what was announced');
  } finally {
    for (const r of raws) r.close();
    await f.close();
  }
});

test('before authentication a frame larger than the pre-auth limit closes the connection; after it, large frames pass', async () => {
  const { f } = await limited({});
  try {
    const raws = Array.from({ length: 20 }, () => new Raw(f));
    for (const r of raws) {
      await r.connected();
      r.socket.write(cat([0, 0x80, 0, 0], Buffer.alloc(100)));
    }
    for (const r of raws) assert.notEqual(await within(r.closed, 5000), 'timeout', 'pre-auth 8 MiB frame not refused');
    assert.equal(f.server.accounting().receiveBufferBytes, 0);
    const s = await survivor(f); // logged in: an 8 MiB WRITE is one frame larger than the pre-auth limit
    await s.tree.writeFile('big.bin', Buffer.alloc(8 * MiB, 1));
    assert.equal((await s.tree.readFile('big.bin')).length, 8 * MiB);
    s.c.close();
  } finally {
    await f.close();
  }
});

test('connection limits refuse the excess, in total and per address, while an existing client keeps working', async () => {
  const { f, hits } = await limited({ maxConnections: 5, maxConnectionsPerAddress: 3 });
  const raws: Raw[] = [];
  try {
    const s = await survivor(f); // 127.0.0.1: 1
    for (let i = 0; i < 2; i++) {
      raws.push(new Raw(f));
      assert.equal(await raws.at(-1)!.negotiate(), 'answered', `127.0.0.1 connection ${i + 2}`);
    }
    const fourth = new Raw(f);
    assert.equal(await fourth.negotiate(), 'closed', 'a fourth connection from one address');
    assert.equal(hits.get('connections_per_address'), 1);
    for (let i = 0; i < 2; i++) {
      raws.push(new Raw(f, '127.0.0.2'));
      assert.equal(await raws.at(-1)!.negotiate(), 'answered', `127.0.0.2 connection ${i + 1}`);
    }
    const sixth = new Raw(f, '127.0.0.3');
    assert.equal(await sixth.negotiate(), 'closed', 'a sixth connection to the server');
    assert.equal(hits.get('connections'), 1);
    await s.check();
    raws.pop()!.close();
    for (let i = 0; i < 100 && f.server.accounting().connections > 4; i++) await new Promise((r) => setTimeout(r, 20));
    const again = new Raw(f, '127.0.0.3');
    raws.push(again);
    assert.equal(await again.negotiate(), 'answered', 'room again after a connection closed');
    s.c.close();
  } finally {
    for (const r of raws) r.close();
    await f.close();
  }
});

test('idle connections without open files and trickling senders are closed after their timeouts', async () => {
  const { f, hits } = await limited({ idleTimeoutMs: 400, frameTimeoutMs: 400 });
  try {
    const s = await survivor(f); // holds an open file: idle, but not dead
    const idle = new Raw(f);
    assert.equal(await idle.negotiate(), 'answered');
    const silent = new Raw(f);
    await silent.connected();
    const tricklers = Array.from({ length: 10 }, () => new Raw(f));
    for (const t of tricklers) {
      await t.connected();
      t.socket.write(Buffer.from([0, 0, 0, 100])); // a 100-byte frame, then one byte every 50 ms
    }
    const drip = setInterval(() => {
      for (const t of tricklers) if (!t.isClosed) t.socket.write(Buffer.from([0]));
    }, 50);
    try {
      for (const [what, r] of [['negotiated, then idle', idle], ['never sent anything', silent], ...tricklers.map((t, i) => [`trickler ${i}`, t] as const)] as const) {
        assert.notEqual(await within(r.closed, 5000), 'timeout', `${what}: still open`);
      }
    } finally {
      clearInterval(drip);
    }
    assert.equal(hits.get('frame_timeout'), 10);
    assert.equal(hits.get('idle_timeout'), 2);
    await s.check();
    s.c.close();
  } finally {
    await f.close();
  }
});

/** Positional file I/O that records the most READ bytes held at once (heap copies, as without a cache). */
class PeakProvider implements FileIoProvider {
  private readonly inner = new DirectFileIoProvider();
  held = 0;
  peak = 0;

  async open(absolutePath: string, options: { writable: boolean }): Promise<FileIo> {
    const io = await this.inner.open(absolutePath, options);
    return {
      ...io,
      read: async (offset, length) => this.track(await io.read(offset, length)),
      write: (o, d) => io.write(o, d),
      flush: () => io.flush(),
      setSize: (n) => io.setSize(n),
      size: () => io.size(),
      close: () => io.close(),
    };
  }

  private track(p: ReadPayload): ReadPayload {
    this.held += p.length;
    this.peak = Math.max(this.peak, this.held);
    let done = false;
    return { ...p, release: () => {
      if (done) return;
      done = true;
      this.held -= p.length;
      p.release();
    } };
  }

  flushAll(): Promise<void> {
    return this.inner.flushAll();
  }
}

test('outstanding READ bytes stay under the per-connection and server-wide limits; extra READs wait and complete', async () => {
  const io = new PeakProvider();
  const { f, hits } = await limited({ maxReadBytesPerConnection: 4 * MiB, maxReadBytes: 6 * MiB }, { fileIo: io });
  try {
    const data = Buffer.alloc(16 * MiB);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
    await writeFile(path.join(f.dir, 'data.bin'), data);
    const clients = await Promise.all([0, 1].map(async () => {
      const { c, tree } = await treeClient(f, 'share', { dialects: [Dialect.SMB3_1_1] });
      return { c, tree, fileId: (await tree.create('data.bin')).fileId };
    }));
    const readAll = ({ tree, fileId }: (typeof clients)[number]) => Promise.all(Array.from({ length: 16 }, async (_, i) => {
      const got = await tree.read(fileId, i * MiB, MiB);
      assert.ok(got.equals(data.subarray(i * MiB, (i + 1) * MiB)), `chunk ${i}`);
    }));
    await readAll(clients[0]);
    assert.ok(io.peak <= 4 * MiB, `one connection held ${io.peak / MiB} MiB of READ data at once`);
    assert.ok((hits.get('read_bytes_connection') ?? 0) > 0, 'the per-connection limit was reached and counted');
    io.peak = 0;
    let accounted = 0;
    const sample = setInterval(() => (accounted = Math.max(accounted, f.server.accounting().readBytes)), 1);
    await Promise.all(clients.map(readAll));
    clearInterval(sample);
    assert.ok(io.peak <= 6 * MiB, `the server held ${io.peak / MiB} MiB of READ data at once`);
    assert.ok(accounted <= 6 * MiB && accounted > 0, `accounted ${accounted}`);
    assert.ok((hits.get('read_bytes_server') ?? 0) > 0, 'the server-wide limit was reached and counted');
    assert.equal(f.server.accounting().readBytes, 0);
    for (const { c } of clients) c.close();
  } finally {
    await f.close();
  }
});

/** Positional file I/O whose WRITEs wait until released, counting how many wait at once. */
class GatedWrites implements FileIoProvider {
  private readonly inner = new DirectFileIoProvider();
  waiting = 0;
  peak = 0;
  private gates: Array<() => void> = [];
  closed = false;

  async open(absolutePath: string, options: { writable: boolean }): Promise<FileIo> {
    const io = await this.inner.open(absolutePath, options);
    return {
      read: (o, n) => io.read(o, n),
      write: async (offset, data) => {
        this.peak = Math.max(this.peak, ++this.waiting);
        if (!this.closed) await new Promise<void>((resolve) => this.gates.push(resolve));
        this.waiting--;
        return io.write(offset, data);
      },
      flush: () => io.flush(),
      setSize: (n) => io.setSize(n),
      size: () => io.size(),
      close: () => io.close(),
    };
  }

  releaseAll(): void {
    this.closed = true;
    for (const g of this.gates.splice(0)) g();
  }

  flushAll(): Promise<void> {
    return this.inner.flushAll();
  }
}

test('received WRITE data being processed stays under the per-connection request limit; the connection is read again after', async () => {
  const io = new GatedWrites();
  const { f, hits } = await limited({ maxRequestBytesPerConnection: 8 * MiB }, { fileIo: io });
  try {
    const { c, tree } = await treeClient(f, 'share', { dialects: [Dialect.SMB3_1_1] });
    const { fileId } = await tree.create('w.bin', { desiredAccess: 0x12019f, disposition: 5 });
    const chunk = Buffer.alloc(2 * MiB, 7);
    const writes = Array.from({ length: 12 }, (_, i) => tree.write(fileId, i * chunk.length, chunk));
    writes.forEach((w) => w.catch(() => {})); // awaited below; a failure before that must not go unhandled
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(io.peak <= 5, `${io.peak} WRITEs of 2 MiB were being processed at once with an 8 MiB limit`);
    const held = f.server.accounting().requestBytes;
    assert.ok(held >= 8 * MiB && held <= 10 * MiB + 4096, `accounted ${held} request bytes`);
    assert.equal(hits.get('request_bytes_connection'), 1);
    io.releaseAll();
    assert.deepEqual(await Promise.all(writes), Array(12).fill(chunk.length));
    assert.equal(f.server.accounting().requestBytes, 0);
    c.close();
  } finally {
    io.releaseAll();
    await f.close();
  }
});
