// The server hands the page cache each open as /proc/self/fd/N (the handle's own descriptor,
// so the cache opens exactly the file the CREATE checked). Descriptor numbers are reused, so
// such a name must not make the cache treat another file's pages as replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD } from '../support/server-fixture.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Dialect } from '../../smb2/constants.js';

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
