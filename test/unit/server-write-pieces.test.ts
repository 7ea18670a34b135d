/**
 * Large direct-TCP frames reach the pipeline as the chunks they arrived in (MessagePieces): a lone
 * unsigned WRITE's data goes from those chunks into the file without being joined; anything that
 * needs the whole message (a signature, a compound) is joined first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cat, chunks, le16, le32, le64 } from '../support/bytes.js';
import { smb2Header, writeRequestPdu } from '../support/server-pdus.js';
import { countingPool } from '../support/counting-pool.js';
import { DirectTcpFramer, directTcpHeader } from '../../server/direct-tcp-framer.js';
import { MessagePieces, contiguousPart } from '../../server/message-pieces.js';
import { DirectFileIoProvider } from '../../server/direct-file-io.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import type { FileIo, FileIoProvider } from '../../server/file-io.js';
import { noTelemetry } from '../../server/telemetry.js';
import { DecodeError } from '../../wire/index.js';
import { Access, CreateDisposition } from '../../smb2/constants.js';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';

const MiB = 1024 * 1024;
const SIGNED = 0x8;
const READ_WRITE = { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0, disposition: CreateDisposition.OPEN_IF };

test('framer with piecesFrom: a large frame in several chunks comes out as views of those chunks, whatever the split', () => {
  const frame = randomBytes(300);
  const stream = cat(directTcpHeader(frame.length), frame);
  for (const size of [1, 3, 7, 64, 150, 303]) {
    const f = new DirectTcpFramer(1 << 20, { piecesFrom: 100 });
    const input = chunks(stream, size);
    const got = input.flatMap((c) => f.push(c));
    assert.equal(got.length, 1, `chunk size ${size}`);
    const m = got[0];
    assert.ok(m instanceof MessagePieces, `chunk size ${size}: pieces, not a joined Buffer`);
    assert.ok(m.join().equals(frame));
    assert.equal(m.length, frame.length);
    for (const piece of m.pieces) assert.ok(input.some((c) => c.buffer === piece.buffer), 'a piece is a view of a received chunk, not a copy');
  }
});

test('framer with piecesFrom: small frames, and frames that arrive in one chunk, stay single Buffers', () => {
  const small = randomBytes(50);
  const large = randomBytes(500);
  const f = new DirectTcpFramer(1 << 20, { piecesFrom: 100 });
  const got = [...f.push(cat(directTcpHeader(small.length), small.subarray(0, 20))), ...f.push(cat(small.subarray(20), directTcpHeader(large.length), large))];
  assert.equal(got.length, 2);
  assert.ok(Buffer.isBuffer(got[0]) && got[0].equals(small), 'a small frame in two chunks is joined');
  assert.ok(Buffer.isBuffer(got[1]) && got[1].equals(large), 'a large frame inside one chunk is a view of it');
});

test('framer with piecesFrom: a peer announcing 16 MiB and sending 10 bytes holds 10 bytes', () => {
  const f = new DirectTcpFramer(16 * MiB, { piecesFrom: 64 * 1024 });
  assert.deepEqual(f.push(cat(directTcpHeader(16 * MiB - 1), Buffer.alloc(10, 3))), []);
  assert.equal(f.buffered, 10);
  assert.equal(f.partial, true);
  assert.throws(() => new DirectTcpFramer(MiB, { piecesFrom: 1 }).push(directTcpHeader(MiB + 1)), DecodeError, 'the limit still applies');
});

test('framer with a pool (transient chunks): the same frames whatever the split, nothing kept refers to a chunk, blocks come back on release', () => {
  const small = randomBytes(40);
  const large = randomBytes(1000);
  const stream = cat(directTcpHeader(small.length), small, directTcpHeader(large.length), large, directTcpHeader(0));
  for (const size of [1, 5, 64, 300, 1100, stream.length]) {
    const pool = countingPool(256);
    const f = new DirectTcpFramer(1 << 20, { piecesFrom: 100, pool });
    const got = [];
    for (const chunk of chunks(stream, size)) {
      const transient = Buffer.from(chunk); // the socket's shared read buffer
      got.push(...f.push(transient));
      transient.fill(0xee); // the next read overwrites it
    }
    assert.equal(got.length, 3, `chunk size ${size}`);
    const [a, b, c] = got;
    assert.ok(Buffer.isBuffer(a) && a.equals(small), `chunk size ${size}: the small frame, copied out`);
    assert.ok(b instanceof MessagePieces && b.join().equals(large), `chunk size ${size}: the large frame, in pool blocks`);
    assert.ok(Buffer.isBuffer(c) && c.length === 0);
    assert.equal(pool.taken, 4, 'a block per 256 bytes of the large frame, no more');
    b.release();
    b.release();
    assert.equal(pool.given, 4, 'released once, every block back');
  }
});

test('framer with a pool: a peer announcing 16 MiB and sending 10 bytes holds 10 bytes in one block; a dropped connection gives it back', () => {
  const pool = countingPool(64 * 1024);
  const f = new DirectTcpFramer(16 * MiB, { piecesFrom: 64 * 1024, pool });
  assert.deepEqual(f.push(cat(directTcpHeader(16 * MiB - 1), Buffer.alloc(10, 3))), []);
  assert.equal(f.buffered, 10);
  assert.equal(pool.taken, 1);
  f.discard();
  assert.equal(pool.given, 1);
});

test('MessagePieces: ranges are views across pieces, bounds-checked; head is a copy of its own', () => {
  const whole = randomBytes(40);
  const m = new MessagePieces([whole.subarray(0, 5), whole.subarray(5, 6), whole.subarray(6, 40)]);
  assert.ok(Buffer.concat(m.slice(3, 30)).equals(whole.subarray(3, 33)));
  assert.deepEqual(m.slice(3, 30).map((b) => b.length), [2, 1, 27]);
  assert.deepEqual(m.slice(40, 0), []);
  assert.throws(() => m.slice(30, 11), DecodeError);
  assert.throws(() => m.slice(-1, 2), DecodeError);
  assert.ok(m.head(4).buffer !== whole.buffer && m.head(4).equals(whole.subarray(0, 4)), 'a copy of its own, even inside the first piece');
  assert.ok(m.head(8).equals(whole.subarray(0, 8)));
  assert.equal(m.head(100).length, 40);
});

test('contiguousPart: only a lone unsigned WRITE keeps its pieces; signed, compound and other messages are joined', () => {
  const data = randomBytes(1000);
  const asPieces = (m: Buffer) => new MessagePieces(chunks(m, 50)); // the header itself is split
  const lone = contiguousPart(asPieces(writeRequestPdu(data)));
  assert.ok(lone.pieces, 'a lone unsigned WRITE stays in pieces');
  assert.equal(lone.message.length, 112, 'the pipeline decodes the header and fixed part from one Buffer');
  assert.ok(lone.message.equals(writeRequestPdu(data).subarray(0, 112)));
  for (const [why, m] of [
    ['signed', writeRequestPdu(data, { flags: SIGNED })],
    ['compound', writeRequestPdu(data, { nextCommand: 1048 })],
    ['not a WRITE', cat(smb2Header({ command: 8, messageId: 5 }), data)],
    ['not SMB2', Buffer.alloc(1200, 0xfd)],
  ] as const) {
    const part = contiguousPart(asPieces(m));
    assert.equal(part.pieces, undefined, why);
    assert.ok(part.message.equals(m), `${why}: joined whole`);
  }
  const buffer = writeRequestPdu(data);
  assert.equal(contiguousPart(buffer).message, buffer, 'a Buffer is passed on as it is');
});

/** A provider that records, for every write, how many pieces its data came in ('into pages' for a writeFrom). */
function recording(inner: FileIoProvider, log: Array<number | 'into pages'>): FileIoProvider {
  return {
    flushAll: () => inner.flushAll(),
    async open(fd, options) {
      const io = await inner.open(fd, options);
      const wrapped: FileIo = Object.create(io);
      wrapped.write = (offset, data, o) => {
        log.push(Buffer.isBuffer(data) ? 1 : data.length);
        return io.write(offset, data, o);
      };
      if (io.writeFrom) {
        wrapped.writeFrom = (offset, length, fill, o) => {
          log.push('into pages');
          return io.writeFrom!(offset, length, fill, o);
        };
      }
      return wrapped;
    },
  };
}

for (const kind of ['cache', 'direct'] as const) {
  test(`${kind}: 1 MiB WRITEs at unaligned offsets land exactly, growing the file, ${kind === 'cache' ? 'read from the socket into the pages' : 'from the pieces they arrived in'}`, async () => {
    const cache = kind === 'cache' ? new PageCache({ maxBytes: 32 * MiB }) : undefined;
    const log: Array<number | 'into pages'> = [];
    const placed: number[] = [];
    const telemetry = { ...noTelemetry, writeBytes: (_transport: string, _bytes: number, placedBytes = 0) => void placed.push(placedBytes) };
    const f = await startServer({}, { fileIo: recording(cache ? new CacheFileIoProvider(cache) : new DirectFileIoProvider(), log), telemetry });
    try {
      const before = randomBytes(5000);
      await writeFile(join(f.dir, 'f.bin'), before);
      const { c, tree } = await treeClient(f);
      const data = randomBytes(3 * MiB + 12345);
      const h = await tree.create('f.bin', READ_WRITE);
      await tree.writeRange(h.fileId, 1000, data, MiB);
      await tree.writeRange(h.fileId, 999, data.subarray(0, 1)); // a one-byte WRITE, in one piece
      await tree.close(h.fileId);
      const expected = Buffer.concat([before.subarray(0, 999), data.subarray(0, 1), data]);
      assert.ok((await readFile(join(f.dir, 'f.bin'))).equals(expected), 'the disk file holds exactly the written bytes');
      if (cache) {
        assert.equal(log.filter((l) => l === 'into pages').length, 3, `every 1 MiB WRITE filled its pages; the 12345-byte tail and the one byte are small (${log.join(',')})`);
        assert.ok(placed.reduce((a, b) => a + b, 0) > data.length / 2, `most bytes were read from the socket straight into cache pages (${placed.join(',')})`);
      } else assert.ok(log.some((pieces) => typeof pieces === 'number' && pieces > 1), `a large WRITE reached the file I/O in pieces (${log.join(',')})`);
      await c.close();
    } finally {
      await f.close();
      await cache?.shutdown();
    }
  });
}

test('signed session: a large WRITE is verified over the whole message; a changed data byte is refused and lands nowhere', async () => {
  const log: number[] = [];
  const cache = new PageCache({ maxBytes: 32 * MiB });
  const f = await startServer({}, { fileIo: recording(new CacheFileIoProvider(cache), log) });
  try {
    const { c, tree } = await treeClient(f, 'share', { signing: true });
    const data = randomBytes(2 * MiB);
    const h = await tree.create('s.bin', READ_WRITE);
    await tree.writeRange(h.fileId, 0, data, MiB);
    assert.ok(log.length > 0 && log.every((pieces) => pieces === 1), 'signed WRITEs reach the file I/O joined');
    const transport = c.conn.transport;
    const send = transport.send.bind(transport);
    transport.send = (parts) => {
      const last = parts[parts.length - 1];
      last[last.length - 1] ^= 0xff; // after signing: the signature no longer matches
      return send(parts);
    };
    await assert.rejects(tree.write(h.fileId, 0, Buffer.alloc(MiB, 7)), /ACCESS_DENIED/);
    transport.send = send;
    await tree.close(h.fileId).catch(() => undefined);
    assert.ok((await readFile(join(f.dir, 's.bin'))).equals(data), 'the tampered WRITE changed nothing');
    await c.close();
  } finally {
    await f.close();
    await cache.shutdown();
  }
});
