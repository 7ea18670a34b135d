import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PageCache, PAGE_SIZE } from '../../cache/index.js';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { Access, CreateDisposition, InfoType } from '../../smb2/constants.js';
import { Writer } from '../../wire/index.js';

const FAR = 2 ** 40;
/** Generous: the old array walk blocked for ~17 s at 2^40; a bounded walk takes milliseconds. */
const MAX_BLOCK_MS = 1000;

/** Longest time the event loop was blocked while `body` ran. */
async function longestBlockMs(body: () => Promise<void>): Promise<number> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    await body();
  } finally {
    histogram.disable();
  }
  return histogram.max / 1e6;
}

test('a page at 2^40, then truncate, extend and writeback walk only the pages that exist', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spliced-sparse-'));
  const path = join(dir, 'far.bin');
  await writeFile(path, Buffer.alloc(3 * PAGE_SIZE, 7));
  const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: true });
  try {
    const h = await cache.open(path, { writable: true });
    const blocked = await longestBlockMs(async () => {
      assert.deepEqual(await cache.read(h, 0, 3 * PAGE_SIZE), Buffer.alloc(3 * PAGE_SIZE, 7));
      await cache.write(h, FAR, Buffer.from('x'));
      await cache.write(h, FAR - 5 * PAGE_SIZE, Buffer.from('y'));
      await cache.writeback(h);
      await cache.setSize(h, PAGE_SIZE + 10);
      await cache.setSize(h, FAR * 2);
      await cache.write(h, FAR, Buffer.from('z'));
      await cache.flush(h);
      await cache.setSize(h, 0);
      await cache.write(h, 1, Buffer.from('w'));
      await cache.flush(h);
      await cache.close(h);
    });
    assert.ok(blocked < MAX_BLOCK_MS, `event loop blocked for ${blocked.toFixed(0)} ms`);
    assert.deepEqual(await readFile(path), Buffer.from([0, 0x77]));
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('over SMB: a 1-byte WRITE at 2^40 and SET_INFO EndOfFile 0 do not stall the server', async () => {
  const f = await startServer();
  const { c, tree } = await treeClient(f);
  try {
    const h = await tree.create('far.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0, disposition: CreateDisposition.OVERWRITE_IF });
    const blocked = await longestBlockMs(async () => {
      assert.equal(await tree.write(h.fileId, FAR, Buffer.from('x')), 1);
      assert.deepEqual(await tree.read(h.fileId, FAR - 2, 8), Buffer.from([0, 0, 0x78]));
      await tree.setInfo(h.fileId, InfoType.FILE, 0x14, Buffer.from(new Writer(0, 8).u64(0n).finish()));
      assert.equal(await tree.write(h.fileId, 0, Buffer.from('ok')), 2);
    });
    await tree.close(h.fileId);
    assert.ok(blocked < MAX_BLOCK_MS, `event loop blocked for ${blocked.toFixed(0)} ms`);
    assert.equal((await stat(join(f.dir, 'far.bin'))).size, 2);
  } finally {
    c.close();
    await f.close();
  }
});

test('a write or extension past the largest file offset is refused (EFBIG) and leaves the size as it was and no state behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spliced-sparse-'));
  const path = join(dir, 'refused.bin');
  await writeFile(path, Buffer.from('abc'));
  const cache = new PageCache({ writebackIntervalMs: 0 });
  try {
    const idle = cache.counters().trackedFiles;
    const h = await cache.open(path, { writable: true });
    await assert.rejects(cache.write(h, 2 ** 63, Buffer.from('x')), { code: 'EFBIG' });
    assert.equal(cache.size(h), 3);
    await assert.rejects(cache.setSize(h, 2 ** 63), { code: 'EFBIG' });
    assert.equal(cache.size(h), 3);
    assert.deepEqual(await cache.read(h, 0, 10), Buffer.from('abc'));
    await cache.close(h);
    cache.evict();
    assert.equal(cache.counters().trackedFiles, idle, 'nothing left pending for the file');
    await cache.flushAll();
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});
