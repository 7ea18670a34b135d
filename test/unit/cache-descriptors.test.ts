// The cache takes files over as descriptors: it owns each one it is given, keeps one per file
// (upgrading to a writable one when it comes), and closes all of them once the file is unused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, mkdirSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_SIZE } from '../../cache/index.js';
import { withTempCache } from '../support/temp-cache.js';
import { pattern } from '../support/stable-pages.js';
import { descriptorsUnder, eventually } from '../support/open-descriptors.js';

const OPTIONS = { maxBytes: 1024 * 1024, writebackIntervalMs: 0 };

test('a read-only descriptor, then a writable one: the cache keeps the writable one, closes the redundant one at once, and all of them after the last close', async () => {
  await withTempCache('spliced-fds-', OPTIONS, async (cache, dir) => {
    const path = join(dir, 'f.bin');
    const content = pattern(3 * PAGE_SIZE, 1);
    await writeFile(path, content);
    const reader = await cache.open(openSync(path, constants.O_RDONLY));
    assert.equal(descriptorsUnder(dir), 1);
    assert.ok((await cache.read(reader, 0, content.length)).equals(content));
    const writer = await cache.open(openSync(path, constants.O_RDWR), { writable: true });
    assert.equal(descriptorsUnder(dir), 2, 'the read-only descriptor stays until the file is unused (I/O may run on it)');
    await cache.write(writer, 5, Buffer.from('written'));
    await cache.flush(writer);
    const again = await cache.open(openSync(path, constants.O_RDONLY));
    assert.ok(await eventually(() => descriptorsUnder(dir) === 2), 'a third, read-only descriptor is closed at once');
    assert.equal((await readFile(path)).subarray(5, 12).toString(), 'written');
    assert.equal(cache.counters().trackedPaths, 0, 'no name is tracked for descriptors');
    await cache.close(again);
    await cache.close(reader);
    assert.equal(descriptorsUnder(dir), 2, 'still open: the writer');
    await cache.close(writer);
    assert.ok(await eventually(() => descriptorsUnder(dir) === 0), `every descriptor closed (${descriptorsUnder(dir)} left)`);
    const reopened = await cache.open(openSync(path, constants.O_RDONLY));
    assert.ok((await cache.read(reopened, 0, 12)).subarray(5).equals(Buffer.from('written')), 'cached pages outlive the descriptors');
    await cache.close(reopened);
  });
});

test('a descriptor the cache cannot use (a directory) is refused and still closed', async () => {
  await withTempCache('spliced-fds-', OPTIONS, async (cache, dir) => {
    mkdirSync(join(dir, 'sub'));
    await assert.rejects(cache.open(openSync(join(dir, 'sub'), constants.O_RDONLY)), /not a regular file/);
    assert.ok(await eventually(() => descriptorsUnder(dir) === 0));
    assert.equal(cache.counters().trackedFiles, 0);
  });
});

test('two descriptors of one file share its pages: a write through one is read through the other', async () => {
  await withTempCache('spliced-fds-', { ...OPTIONS, writeBehind: true }, async (cache, dir) => {
    const path = join(dir, 'g.bin');
    await writeFile(path, pattern(2 * PAGE_SIZE, 2));
    const a = await cache.open(openSync(path, constants.O_RDWR), { writable: true });
    const b = await cache.open(openSync(path, constants.O_RDONLY));
    assert.equal(a.file, b.file);
    await cache.write(a, 100, Buffer.from('shared'));
    assert.equal((await cache.read(b, 100, 6)).toString(), 'shared');
    await cache.close(a);
    await cache.close(b);
    assert.equal((await readFile(path)).subarray(100, 106).toString(), 'shared', 'the last close wrote it back through the writable descriptor');
    assert.ok(await eventually(() => descriptorsUnder(dir) === 0));
  });
});
