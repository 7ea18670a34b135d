/**
 * Pooled receive blocks for every frame worth a page: frames are packed one after another into
 * the blocks of a ReceivePool (no Buffer per frame), a block goes back once no message in it is
 * unreleased, and a connection is charged by the blocks its messages hold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cat, chunks } from '../support/bytes.js';
import { DirectTcpFramer, directTcpHeader } from '../../server/direct-tcp-framer.js';
import { MessagePieces } from '../../server/message-pieces.js';
import { ReceiveBlocks, ReceivePool } from '../../server/receive-pool.js';
import { receiveBlockMemory } from '../../ops/assemble.js';
import { loadRdmaBinding } from '../../native/index.js';
import { Access, CreateDisposition } from '../../smb2/constants.js';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';

const READ_WRITE = { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0, disposition: CreateDisposition.OPEN_IF };

/** A pool that records which blocks it hands out and gets back. */
function recordingPool(blockBytes: number): ReceivePool & { taken: Buffer[]; given: Buffer[] } {
  const pool = new ReceivePool(blockBytes, 64) as ReceivePool & { taken: Buffer[]; given: Buffer[] };
  pool.taken = [];
  pool.given = [];
  const take = pool.take.bind(pool);
  const give = pool.give.bind(pool);
  pool.take = () => {
    const block = take();
    pool.taken.push(block);
    return block;
  };
  pool.give = (block) => {
    const count = (list: Buffer[]) => list.filter((b) => b === block).length;
    assert.ok(count(pool.given) < count(pool.taken), 'a block is given back once per take');
    pool.given.push(block);
    give(block);
  };
  return pool;
}

test('ReceiveBlocks: frames share blocks; a block comes back when the last message in it is released; held bytes count whole blocks', () => {
  const pool = recordingPool(4096);
  const blocks = new ReceiveBlocks(pool);
  // 3000 bytes, then 5000 (more than a block: it goes on where the first ended), then 1000
  // (a block's worth or less, and not enough room left: a block of its own, so it is one piece).
  const frames = [randomBytes(3000), randomBytes(5000), randomBytes(1000)];
  const delivered = frames.map((bytes) => {
    const frame = blocks.begin(bytes.length);
    blocks.append(frame, bytes.subarray(0, 700));
    blocks.append(frame, bytes.subarray(700));
    return blocks.deliver(frame);
  });
  assert.equal(pool.taken.length, 3, '9000 bytes in 4096-byte blocks: three blocks, not one per frame');
  delivered.forEach(({ views }, k) => assert.ok(Buffer.concat(views).equals(frames[k]), `frame ${k} reads back`));
  assert.deepEqual(delivered.map(({ views }) => views.length), [1, 2, 1], 'a frame that fits a block is one piece');
  assert.equal(blocks.heldBytes, 3 * 4096);
  // Block 0 holds frames 0 and 1, block 1 frame 1, block 2 frame 2.
  delivered[0].release();
  assert.equal(pool.given.length, 0, 'block 0 still holds frame 1');
  delivered[1].release();
  delivered[1].release();
  assert.deepEqual(pool.given, [pool.taken[0], pool.taken[1]], 'blocks 0 and 1 back once frames 0 and 1 are released, once each');
  assert.equal(blocks.heldBytes, 4096);
  delivered[2].release();
  assert.equal(pool.given.length, 3);
  assert.equal(blocks.heldBytes, 0);
});

test('ReceiveBlocks: an abandoned frame gives back the blocks no delivered message holds', () => {
  const pool = recordingPool(4096);
  const blocks = new ReceiveBlocks(pool);
  const first = blocks.begin(3000);
  blocks.append(first, randomBytes(3000));
  const kept = blocks.deliver(first);
  const partial = blocks.begin(6000);
  blocks.append(partial, randomBytes(6000)); // 1096 bytes in block 0, 4096 in block 1, 808 in block 2
  assert.equal(pool.taken.length, 3);
  assert.equal(blocks.heldBytes, 4096, 'a frame still arriving is not charged; the delivered one is, by its block');
  blocks.abandon(partial);
  assert.deepEqual(pool.given, [pool.taken[1], pool.taken[2]], 'the blocks only the partial frame used');
  kept.release();
  assert.equal(pool.given.length, 3);
});

test('framer with a pool and pooledFrom: every frame of pooledFrom bytes or more is packed into blocks, whatever the split; smaller ones are Buffers', () => {
  const frames = [randomBytes(4208), randomBytes(100), randomBytes(4208), randomBytes(2048), randomBytes(20_000), randomBytes(2047), randomBytes(4208)];
  const stream = cat(...frames.flatMap((f) => [directTcpHeader(f.length), f]));
  const pooledBytes = frames.filter((f) => f.length >= 2048).reduce((n, f) => n + f.length, 0);
  for (const size of [1, 7, 100, 4096, 4212, 30_000, stream.length]) {
    const pool = recordingPool(64 * 1024);
    const f = new DirectTcpFramer(1 << 20, { piecesFrom: 64 * 1024, pool, pooledFrom: 2048 });
    const got = [];
    for (const chunk of chunks(stream, size)) {
      const transient = Buffer.from(chunk); // the socket's shared read buffer
      got.push(...f.push(transient));
      transient.fill(0xee); // the next read overwrites it
    }
    assert.equal(got.length, frames.length, `chunk size ${size}`);
    got.forEach((m, k) => {
      const pooled = frames[k].length >= 2048;
      assert.equal(m instanceof MessagePieces, pooled, `chunk size ${size}, frame ${k}: ${pooled ? 'in pool blocks' : 'a Buffer'}`);
      if (m instanceof MessagePieces) assert.equal(m.pieces.length, 1, `chunk size ${size}, frame ${k}: one piece`);
      const bytes = m instanceof MessagePieces ? m.join() : m;
      assert.ok(bytes.equals(frames[k]), `chunk size ${size}, frame ${k} reads back`);
    });
    assert.equal(pool.taken.length, Math.ceil(pooledBytes / (64 * 1024)), 'frames packed: blocks for the bytes, not one per frame');
    for (const m of got) if (m instanceof MessagePieces) m.release();
    assert.equal(pool.given.length, pool.taken.length, 'every block back once its messages are released');
  }
});

test('over the server: 4 KiB WRITEs in flight at once land exactly, and the request bytes held go back to 0', async () => {
  const f = await startServer({});
  try {
    const { c, tree } = await treeClient(f);
    const h = await tree.create('small-writes.bin', READ_WRITE);
    const data = randomBytes(512 * 4096);
    const order = Array.from({ length: 512 }, (_, k) => (k * 197) % 512); // every 4 KiB piece once, out of order
    await Promise.all(order.map((k) => tree.write(h.fileId, k * 4096, data.subarray(k * 4096, (k + 1) * 4096))));
    await tree.close(h.fileId);
    assert.ok((await readFile(join(f.dir, 'small-writes.bin'))).equals(data), 'the file holds exactly what was written');
    assert.equal(f.server.accounting().requestBytes, 0, 'nothing held once every WRITE is answered');
    await c.close();
  } finally {
    await f.close();
  }
});

test('ReceivePool.trim gives back the blocks that stayed free a whole period, keeping what the period needed at its busiest', () => {
  const released: Buffer[] = [];
  let allocated = 0;
  const memory = { allocate: (bytes: number) => (allocated++, Buffer.alloc(bytes)), release: (block: Buffer) => void released.push(block) };
  const pool = new ReceivePool(1024, 64, memory);
  try {
    const burst = Array.from({ length: 10 }, () => pool.take());
    for (const block of burst) pool.give(block);
    assert.equal(pool.freeBlocks, 10);
    pool.trim(); // the period of the burst: it started with no free block, so none sat unused throughout
    assert.deepEqual([pool.freeBlocks, released.length], [10, 0]);
    const busy = [pool.take(), pool.take(), pool.take()]; // the next period needs three at most
    for (const block of busy) pool.give(block);
    pool.trim();
    assert.deepEqual([pool.freeBlocks, released.length], [3, 7], 'seven never left the free list: given back');
    pool.trim();
    assert.deepEqual([pool.freeBlocks, released.length], [0, 10], 'an idle period gives back the rest');
    assert.equal(new Set(released).size, 10, 'each block released once');
    pool.take();
    assert.equal(allocated, 11, 'after a trim new blocks are allocated again');
  } finally {
    pool.trim();
    pool.trim();
  }
});

test('receive blocks from the RDMA addon are mmap slabs that trim unmaps at once', async (t) => {
  const memory = receiveBlockMemory();
  if (!memory) return t.skip('the RDMA addon is not built (npm run build:native with rdma-core installed)');
  const rdma = loadRdmaBinding();
  if (!('binding' in rdma)) return;
  const before = rdma.binding.liveSlabCount();
  const pool = new ReceivePool(64 * 1024, 64, memory);
  const blocks = [pool.take(), pool.take()];
  assert.equal(rdma.binding.liveSlabCount(), before + 2);
  for (const block of blocks) pool.give(block);
  pool.trim();
  pool.trim();
  assert.equal(rdma.binding.liveSlabCount(), before, 'both unmapped');
  assert.equal(blocks[0].length, 0, 'and the Buffers detached: nothing can read freed memory');
});
