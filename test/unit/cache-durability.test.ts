import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CacheFileIoProvider, PageCache, PageFlag, PAGE_SIZE, type PageCacheOptions } from '../../cache/index.js';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { Access, Command, CreateDisposition, CreateOption, WriteFlag } from '../../smb2/constants.js';
import { encodeWriteRequestHeader } from '../../smb2/commands/write.js';
import type { FileId } from '../../smb2/commands/create.js';
import { withTempCache } from '../support/temp-cache.js';

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed) & 0xff;
  return out;
}

function withFile(options: PageCacheOptions, body: (cache: PageCache, path: string) => Promise<void>): Promise<void> {
  return withTempCache('spliced-durable-', { writebackIntervalMs: 0, ...options }, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    await writeFile(path, pattern(3 * PAGE_SIZE, 1));
    await body(cache, path);
  });
}

test('by default a write has reached the kernel when it resolves, and re-reads stay zero-copy', async () => {
  await withFile({}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const held = await cache.spliceToBvecs(h, 0, 3 * PAGE_SIZE);
    assert.equal(held.reason, null);
    const data = pattern(PAGE_SIZE + 300, 9);
    await cache.write(h, 100, data);
    const expected = pattern(3 * PAGE_SIZE, 1);
    data.copy(expected, 100);
    assert.deepEqual(await readFile(path), expected, 'on disk without FLUSH');
    assert.equal(cache.counters().dirtyPages, 0, 'nothing left only in memory');
    assert.deepEqual(Buffer.concat(held.bvecs.map((b) => b.bytes())), pattern(3 * PAGE_SIZE, 1), 'spliced pages never change');
    cache.release(held);
    const again = await cache.spliceToBvecs(h, 0, 3 * PAGE_SIZE);
    assert.equal(again.reason, null, 'the cached re-read is spliced, not copied');
    assert.deepEqual(Buffer.concat(again.bvecs.map((b) => b.bytes())), expected);
    cache.release(again);
    await cache.close(h);
  });
});

test('FLUSH and write-through writes add fdatasync; plain writes do not', async () => {
  await withFile({}, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    const start = cache.counters().fdatasyncs;
    await cache.write(h, 0, Buffer.from('plain'));
    assert.equal(cache.counters().fdatasyncs, start);
    await cache.write(h, 0, Buffer.from('through'), { writeThrough: true });
    assert.equal(cache.counters().fdatasyncs, start + 1);
    await cache.flush(h);
    assert.equal(cache.counters().fdatasyncs, start + 2);
    assert.deepEqual((await readFile(path)).subarray(0, 7), Buffer.from('through'));
    await cache.close(h);
  });
});

test('write-behind is an explicit option: then data stays dirty in memory until writeback', async () => {
  await withFile({ writeBehind: true }, async (cache, path) => {
    const h = await cache.open(path, { writable: true });
    await cache.write(h, 0, Buffer.from('later'));
    assert.equal(cache.pageFlags(h, 0) & PageFlag.DIRTY, PageFlag.DIRTY);
    assert.deepEqual(await readFile(path), pattern(3 * PAGE_SIZE, 1));
    await cache.flush(h);
    assert.deepEqual((await readFile(path)).subarray(0, 5), Buffer.from('later'));
    await cache.close(h);
  });
});

test('over SMB: SMB2_WRITEFLAG_WRITE_THROUGH and FILE_WRITE_THROUGH opens add fdatasync, plain WRITEs do not', async () => {
  const cache = new PageCache({ writebackIntervalMs: 0 });
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  const { c, tree } = await treeClient(f);
  try {
    const access = (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0;
    const write = async (fileId: FileId, flags: number): Promise<void> => {
      const body = encodeWriteRequestHeader({ offset: 0, fileId, channel: 0, remainingBytes: 0, flags, channelInfo: [], length: 4 });
      await c.request(Command.WRITE, body, { treeId: tree.treeId, payload: [Buffer.from('data')] });
    };
    const syncs = (): number => cache.counters().fdatasyncs;
    const plain = await tree.create('w.bin', { desiredAccess: access, disposition: CreateDisposition.OVERWRITE_IF });
    const before = syncs();
    await write(plain.fileId, 0);
    assert.equal(syncs(), before, 'a plain WRITE is not synced');
    await write(plain.fileId, WriteFlag.WRITE_THROUGH);
    assert.equal(syncs(), before + 1, 'WRITE_THROUGH flag');
    const through = await tree.create('w.bin', { desiredAccess: access, createOptions: CreateOption.WRITE_THROUGH });
    await write(through.fileId, 0);
    assert.equal(syncs(), before + 2, 'FILE_WRITE_THROUGH open');
    await tree.flush(plain.fileId);
    assert.equal(syncs(), before + 3, 'FLUSH');
    await tree.close(through.fileId);
    await tree.close(plain.fileId);
    assert.deepEqual(await readFile(join(f.dir, 'w.bin')), Buffer.from('data'));
  } finally {
    c.close();
    await f.close();
    await cache.shutdown();
  }
});
