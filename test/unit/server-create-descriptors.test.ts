// The descriptors CREATE and CLOSE handle: the checked O_PATH descriptor is closed whatever the
// outcome (also when the open is refused for its share mode), and after CLOSE nothing of the
// file stays open. Counted in /proc/self/fd, where closes that run on the thread pool are polled for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD } from '../support/server-fixture.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Access, CloseFlag, CreateOption, Dialect } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { descriptorsUnder, eventually } from '../support/open-descriptors.js';

test('a CREATE refused with SHARING_VIOLATION keeps no descriptor; CLOSE leaves none', async () => {
  const cache = new PageCache({ maxBytes: 16 * 1024 * 1024, writebackIntervalMs: 0 });
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  try {
    await writeFile(path.join(f.dir, 'x.bin'), Buffer.alloc(4096, 1));
    const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    const exclusive = await tree.create('x.bin', { desiredAccess: Access.FILE_READ_DATA, shareAccess: 0 });
    // The handle's descriptor and the one the cache took.
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 2), `descriptors open: ${descriptorsUnder(f.dir)}`);
    for (let i = 0; i < 5; i++) {
      await assert.rejects(tree.create('x.bin', { desiredAccess: Access.FILE_READ_DATA }), (err: { status?: number }) => err.status === Status.SHARING_VIOLATION);
    }
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 2), `descriptors after refused opens: ${descriptorsUnder(f.dir)}`);
    await tree.close(exclusive.fileId);
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 0), `descriptors after CLOSE: ${descriptorsUnder(f.dir)}`);
    const again = await tree.create('x.bin');
    assert.equal((await tree.read(again.fileId, 0, 4))[0], 1);
    await tree.close(again.fileId);
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 0), `descriptors after the second CLOSE: ${descriptorsUnder(f.dir)}`);
    c.close();
  } finally {
    await f.close();
    await cache.shutdown();
  }
});

test('directories and POSTQUERY_ATTRIB closes leave no descriptor, and the post-query attributes are the file\'s', async () => {
  const cache = new PageCache({ maxBytes: 16 * 1024 * 1024, writebackIntervalMs: 0 });
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  try {
    await mkdir(path.join(f.dir, 'd'));
    await writeFile(path.join(f.dir, 'd', 'y.bin'), Buffer.alloc(3000, 2));
    const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    const tree = await c.treeConnect('share');
    const dir = await tree.create('d', { desiredAccess: Access.FILE_READ_ATTRIBUTES, createOptions: CreateOption.DIRECTORY_FILE });
    const file = await tree.create('d/y.bin', { desiredAccess: (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0 });
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 3), `descriptors open: ${descriptorsUnder(f.dir)}`);
    await tree.write(file.fileId, 3000, Buffer.alloc(1000, 3));
    const closed = await tree.close(file.fileId, true);
    assert.equal(closed.endOfFile, 4000n, 'the size after the write, through the handle');
    assert.equal(closed.flags, CloseFlag.POSTQUERY_ATTRIB);
    await tree.close(dir.fileId, true);
    assert.ok(await eventually(() => descriptorsUnder(f.dir) === 0), `descriptors after CLOSE: ${descriptorsUnder(f.dir)}`);
    c.close();
  } finally {
    await f.close();
    await cache.shutdown();
  }
});
