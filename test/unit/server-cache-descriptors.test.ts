// The server hands the page cache a descriptor per open (reopened from the handle's own, so the
// cache reads exactly the file the CREATE checked), never a name. Descriptor numbers are reused,
// which must not make the cache treat another file's pages as replaced, and every descriptor the
// cache takes over is closed once the file is no longer open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD } from '../support/server-fixture.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Access, Dialect } from '../../smb2/constants.js';
import { descriptorsUnder, eventually } from '../support/open-descriptors.js';

test('reading a, then b, then a again serves the second read of a from the cache', async () => {
  const cache = new PageCache({ maxBytes: 64 * 1024 * 1024, writebackIntervalMs: 0 });
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  try {
    await writeFile(path.join(f.dir, 'a.bin'), Buffer.alloc(1 << 20, 1));
    await writeFile(path.join(f.dir, 'b.bin'), Buffer.alloc(1 << 20, 2));
    const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    await tree.readFile('a.bin');
    await tree.readFile('b.bin');
    const before = cache.counters().misses;
    assert.equal((await tree.readFile('a.bin'))[100], 1);
    assert.equal(cache.counters().misses - before, 0, 'a\'s pages were dropped when b reused its descriptor number');
    c.close();
  } finally {
    await f.close();
    await cache.shutdown();
  }
});

test('the cache keeps one descriptor per open file and none once the handles are closed; no names are tracked', async () => {
  const cache = new PageCache({ maxBytes: 64 * 1024 * 1024, writebackIntervalMs: 0 });
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  try {
    await writeFile(path.join(f.dir, 'c.bin'), Buffer.alloc(100_000, 3));
    const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    const one = await tree.create('c.bin');
    const two = await tree.create('c.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0 });
    const three = await tree.create('c.bin');
    assert.equal((await tree.read(one.fileId, 0, 10))[0], 3);
    // Three handle descriptors, one read-only one the cache took first and the writable one it upgraded to.
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 5), `descriptors open: ${descriptorsUnder(f.dir)}`);
    assert.equal(cache.counters().trackedPaths, 0);
    await tree.write(two.fileId, 0, Buffer.from('new'));
    for (const h of [one, two, three]) await tree.close(h.fileId);
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 0), `descriptors left: ${descriptorsUnder(f.dir)}`);
    assert.equal((await tree.readFile('c.bin')).subarray(0, 4).toString(), 'new\x03');
    c.close();
  } finally {
    await f.close();
    await cache.shutdown();
  }
});
