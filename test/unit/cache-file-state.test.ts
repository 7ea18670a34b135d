import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { CacheFileIoProvider, PageCache, PAGE_SIZE, type PageCacheOptions } from '../../cache/index.js';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { Access, CreateDisposition } from '../../smb2/constants.js';
import { withTempCache } from '../support/temp-cache.js';

const FILES = 300;

function withNames(options: PageCacheOptions, body: (cache: PageCache, paths: string[]) => Promise<void>): Promise<void> {
  return withTempCache('spliced-state-', { writebackIntervalMs: 0, ...options }, async (cache, dir) => {
    const paths = Array.from({ length: FILES }, (_, k) => join(dir, `f${k}.bin`));
    await Promise.all(paths.map((path, k) => writeFile(path, Buffer.alloc(PAGE_SIZE, k))));
    await body(cache, paths);
  });
}

test('per-file state goes away once a file has no opens and no cached pages', async () => {
  await withNames({}, async (cache, paths) => {
    const idle = cache.counters().trackedFiles;
    for (const path of paths) await cache.close(await cache.open(path));
    assert.equal(cache.counters().trackedFiles, idle, 'opened and closed without reading: nothing kept');

    for (const path of paths) {
      const h = await cache.open(path);
      await cache.read(h, 0, 10);
      await cache.close(h);
    }
    assert.equal(cache.counters().trackedFiles, idle + FILES, 'closed files keep their cached pages, and so their state');
    const h = await cache.open(paths[0]);
    cache.evict();
    assert.equal(cache.counters().trackedFiles, idle + 1, 'after eviction only the open file is left');
    await cache.close(h);
    assert.equal(cache.counters().trackedFiles, idle);
  });
});

test('the flusher visits only the files with data to write back, not every file ever opened', async () => {
  await withNames({ writebackIntervalMs: 20, writeBehind: true }, async (cache, paths) => {
    for (const path of paths) {
      const h = await cache.open(path, { writable: true });
      await cache.read(h, 0, 10);
      await cache.close(h);
    }
    const dirty = await cache.open(paths[7], { writable: true });
    const before = cache.counters().flusherFileVisits;
    for (let round = 0; round < 5; round++) {
      await cache.write(dirty, round, Buffer.from('d'));
      await sleep(60);
    }
    const visits = cache.counters().flusherFileVisits - before;
    assert.ok(visits > 0, 'the flusher ran');
    assert.ok(visits <= 40, `the flusher visited ${visits} files in about 15 passes while one file was dirty`);
    await cache.close(dirty);
  });
});

test('over SMB: opening and closing many distinct names leaves the cache at its idle size', async () => {
  const cache = new PageCache({ writebackIntervalMs: 0 });
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  const { c, tree } = await treeClient(f);
  try {
    const idle = cache.counters().trackedFiles;
    for (let k = 0; k < FILES; k++) {
      const h = await tree.create(`n${k}.bin`, { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0, disposition: CreateDisposition.OVERWRITE_IF });
      await tree.write(h.fileId, 0, Buffer.from([k & 0xff]));
      await tree.close(h.fileId);
    }
    cache.evict();
    assert.equal(cache.counters().trackedFiles, idle);
  } finally {
    c.close();
    await f.close();
    await cache.shutdown();
  }
});

test('a file opened under a new name after a rename keeps one entry, and none once idle', async () => {
  await withNames({}, async (cache, paths) => {
    const idle = cache.counters();
    let current = paths[0];
    for (let k = 0; k < 50; k++) {
      const next = `${paths[0]}.${k}`;
      await rename(current, next);
      current = next;
      const h = await cache.open(current);
      await cache.read(h, 0, 10);
      await cache.close(h);
    }
    assert.equal(cache.counters().trackedFiles, idle.trackedFiles + 1);
    assert.equal(cache.counters().trackedPaths, idle.trackedPaths + 1, 'one name per file');
    cache.evict();
    assert.equal(cache.counters().trackedPaths, idle.trackedPaths);
  });
});
