/**
 * sharedReadSocket: an accepted socket moved onto a Socket that reads into one shared buffer (no
 * Buffer per read), still a working socket: bytes in, order kept, pause holds the bytes back,
 * writes and the end of the stream work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { sharedReadSocket, type ReadSink } from '../../server/framed-socket.js';
import { acceptedPair } from '../support/accepted-pair.js';

/** A sink that reads everything into the shared buffer. */
const sink = (chunk: (bytes: Buffer) => void): ReadSink => ({ chunk, target: () => null, placed: () => assert.fail('nothing was to be read in place') });

test('sharedReadSocket: every chunk is a view of one shared buffer, the bytes arrive in order, writes work, the end of the stream closes it', async () => {
  const { server, accepted, client } = await acceptedPair();
  const shared = sharedReadSocket(accepted);
  assert.ok(shared, 'this node hands the accepted handle over');
  const got: Buffer[] = [];
  const memories = new Set<ArrayBufferLike>();
  shared.chunks(sink((chunk) => {
    memories.add(chunk.buffer);
    got.push(Buffer.from(chunk)); // transient: copied before the next read
  }));
  shared.socket.resume();
  const echoed = new Promise<Buffer>((resolve) => client.once('data', resolve));
  shared.socket.write(Buffer.from('hello'));
  assert.equal((await echoed).toString(), 'hello', 'the new socket writes');
  const closed = new Promise<void>((resolve) => shared.socket.once('close', () => resolve()));
  const data = randomBytes(3 * 1024 * 1024);
  client.end(data);
  await closed;
  assert.ok(Buffer.concat(got).equals(data));
  assert.equal(memories.size, 1, `${got.length} reads, all into the same memory`);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('sharedReadSocket: a paused socket reads nothing until resumed', async () => {
  const { server, accepted, client } = await acceptedPair();
  const shared = sharedReadSocket(accepted)!;
  let bytes = 0;
  shared.chunks(sink((chunk) => (bytes += chunk.length)));
  shared.socket.pause();
  client.write(Buffer.alloc(1000, 1));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(bytes, 0, 'nothing delivered while paused');
  shared.socket.resume();
  for (let i = 0; i < 50 && bytes < 1000; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(bytes, 1000);
  client.destroy();
  shared.socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('sharedReadSocket: a socket without a handle to hand over is left alone (null)', () => {
  const plain = new net.Socket();
  assert.equal(sharedReadSocket(plain), null);
  assert.equal(plain.destroyed, false);
  plain.destroy();
});

test('sharedReadSocket: memory the sink names is read into in place, never past its end, and the shared buffer takes the rest', async () => {
  const { server, accepted, client } = await acceptedPair();
  const shared = sharedReadSocket(accepted)!;
  const own = Buffer.alloc(1024 * 1024 + 5);
  let ownAt = 0;
  const rest: Buffer[] = [];
  let placedReads = 0;
  shared.chunks({
    chunk: (bytes) => rest.push(Buffer.from(bytes)),
    target: () => (ownAt < own.length && rest.length > 0 ? own.subarray(ownAt) : null), // after the first read, until it is full
    placed: (count) => {
      placedReads++;
      ownAt += count;
      assert.ok(ownAt <= own.length);
    },
  });
  shared.socket.resume();
  const closed = new Promise<void>((resolve) => shared.socket.once('close', () => resolve()));
  const data = randomBytes(3 * 1024 * 1024);
  client.end(data);
  await closed;
  const firstRead = rest[0].length;
  assert.equal(ownAt, own.length, 'the named memory was filled');
  assert.ok(placedReads > 0);
  assert.ok(own.equals(data.subarray(firstRead, firstRead + own.length)), 'in place, in order');
  assert.ok(Buffer.concat(rest).equals(Buffer.concat([data.subarray(0, firstRead), data.subarray(firstRead + own.length)])), 'the rest through the shared buffer');
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
