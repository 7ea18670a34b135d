/**
 * Stable pages and durability through the real SMB server with smbclient as the client
 * (the provider-level tests are in test/unit/cache-stability.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import { ROOT, pattern, sha, spawnChild, tempDir } from '../support/stable-pages.js';

const SMBCLIENT = '/usr/bin/smbclient';
const noSmbclient = existsSync(SMBCLIENT) ? false : 'smbclient not installed: apt-get install smbclient to run the through-the-server cache tests';

function smbclient(port: number, commands: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(SMBCLIENT, ['//127.0.0.1/share', '-p', String(port), '-N', '-m', 'SMB3', '-c', commands], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill(), 30_000);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

test('stability through the SMB server: a splice outstanding across an smbclient overwrite keeps its bytes', { skip: noSmbclient }, async () => {
  const { startServer } = await import('../support/server-fixture.js');
  const cache = new PageCache({ writebackIntervalMs: 0 });
  const fixture = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
  const local = await tempDir();
  try {
    const before = pattern(300 * 1024 + 5, 4);
    const path = join(fixture.dir, 'data.bin');
    await writeFile(path, before);
    const first = await smbclient(fixture.port, 'get data.bin first.bin', local);
    assert.equal(first.code, 0, first.out);
    assert.ok((await readFile(join(local, 'first.bin'))).equals(before));
    assert.ok(cache.counters().zeroCopyBytes >= before.length, 'the server read the clean file zero-copy');

    const handle = await cache.open(path);
    const held = await cache.spliceToBvecs(handle, 0, before.length);
    assert.equal(held.reason, null);
    const digest = sha(held.bvecs.map((b) => b.bytes()));

    const after = pattern(before.length + 4096, 5);
    await writeFile(join(local, 'new.bin'), after);
    const put = await smbclient(fixture.port, 'put new.bin data.bin', local);
    assert.equal(put.code, 0, put.out);
    assert.equal(sha(held.bvecs.map((b) => b.bytes())), digest, 'outstanding bvecs still hash to the content at splice time');

    const second = await smbclient(fixture.port, 'get data.bin second.bin', local);
    assert.equal(second.code, 0, second.out);
    assert.ok((await readFile(join(local, 'second.bin'))).equals(after), 'a new read through the server sees the new content');
    cache.release(held);
    await cache.close(handle);
    assert.ok((await readFile(path)).equals(after));
  } finally {
    await fixture.close();
    await cache.shutdown();
    await rm(local, { recursive: true, force: true });
  }
});

const SERVER = (fixtureUrl: string, cacheUrl: string): string => `
const { startServer } = await import(${JSON.stringify(fixtureUrl)});
const { PageCache, CacheFileIoProvider } = await import(${JSON.stringify(cacheUrl)});
const cache = new PageCache({ writebackIntervalMs: 0 });
const fixture = await startServer({}, { fileIo: new CacheFileIoProvider(cache) });
process.stdout.write('ready ' + fixture.port + ' ' + fixture.dir + ' ' + fixture.roDir + '\\n');
setInterval(() => {}, 1000);
`;

test('durability through the server: a file put by smbclient is on disk after kill -9 of the server', { skip: noSmbclient }, async () => {
  const dir = await tempDir();
  const fixtureUrl = pathToFileURL(join(ROOT, 'test/support/server-fixture.ts')).href;
  const cacheUrl = pathToFileURL(join(ROOT, 'cache/index.ts')).href;
  let shareDirs: string[] = [];
  try {
    const { child, line, exited } = await spawnChild(SERVER(fixtureUrl, cacheUrl), [], dir);
    const [port, share, roShare] = line.split(' ');
    shareDirs = [share, roShare];
    const data = pattern(2 * 1024 * 1024 + 999, 6);
    await writeFile(join(dir, 'up.bin'), data);
    const put = await smbclient(Number(port), 'put up.bin kept.bin', dir);
    child.kill('SIGKILL');
    await exited;
    assert.equal(put.code, 0, put.out);
    assert.ok((await readFile(join(share, 'kept.bin'))).equals(data), 'the closed file reached the disk before the kill');
  } finally {
    await rm(dir, { recursive: true, force: true });
    for (const shareDir of shareDirs) await rm(shareDir, { recursive: true, force: true });
  }
});
