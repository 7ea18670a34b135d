/**
 * Stable pages and durability, end to end: through CacheFileIoProvider (the SMB core's
 * contract), through the real SMB server with smbclient as the client, and across a
 * kill -9 of the process that wrote and flushed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CacheFileIoProvider, PageCache, PAGE_SIZE } from '../../cache/index.js';
import type { ReadPayload } from '../../server/file-io.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SMBCLIENT = '/usr/bin/smbclient';
const noSmbclient = existsSync(SMBCLIENT) ? false : 'smbclient not installed: apt-get install smbclient to run the through-the-server cache tests';

function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 11 + seed * 17 + (i >> 10)) & 0xff;
  return out;
}

function sha(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'spliced-stable-'));
}

test('stability through the FileIo provider: an outstanding READ payload keeps its bytes across an overwrite', async () => {
  const dir = await tempDir();
  const path = join(dir, 'f.bin');
  const before = pattern(256 * 1024 + 123, 1);
  await writeFile(path, before);
  const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: true });
  const provider = new CacheFileIoProvider(cache);
  try {
    const io = await provider.open(path, { writable: true });
    const held: ReadPayload = await io.read(0, before.length);
    assert.equal(held.path, 'zerocopy');
    assert.equal(held.copyReason, undefined);
    assert.equal(held.length, before.length);
    const slabMemory = new Set(cache.slabs().map((slab) => slab.memory.buffer));
    assert.ok(held.chunks.every((chunk) => slabMemory.has(chunk.buffer)), 'every chunk is a view of slab memory, not a copy');
    assert.ok(held.chunks.length <= Math.ceil(before.length / PAGE_SIZE));
    const digest = sha(held.chunks);
    assert.equal(digest, sha([before]));

    const after = pattern(before.length, 2);
    assert.equal(await io.write(0, after), after.length);
    assert.equal(sha(held.chunks), digest, 'the outstanding payload still hashes to the content at splice time');
    assert.ok(cache.counters().cowReplacements >= held.chunks.length);

    const fresh = await io.read(0, before.length);
    assert.equal(sha(fresh.chunks), sha([after]), 'a new read sees the new content');
    assert.equal(fresh.path, 'copy');
    assert.equal(fresh.copyReason, 'dirty');
    fresh.release();
    held.release();
    held.release();
    assert.equal(cache.counters().splicedPages, 0);
    await io.flush();
    assert.ok((await readFile(path)).equals(after));
    await io.close();
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a dirty or mapped file is served by copying, with the reason counted', async () => {
  const dir = await tempDir();
  const path = join(dir, 'f.bin');
  await writeFile(path, pattern(8 * PAGE_SIZE, 3));
  const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: true });
  const provider = new CacheFileIoProvider(cache);
  try {
    const io = await provider.open(path, { writable: true });
    const clean = await io.read(0, 2 * PAGE_SIZE);
    assert.equal(clean.path, 'zerocopy');
    clean.release();
    await io.write(PAGE_SIZE, Buffer.from('dirty'));
    const dirty = await io.read(0, 2 * PAGE_SIZE);
    assert.equal(dirty.path, 'copy');
    assert.equal(dirty.copyReason, 'dirty');
    dirty.release();
    const other = await provider.open(path, { writable: false });
    const handle = await cache.open(path);
    const mapping = await cache.map(handle, 4 * PAGE_SIZE, PAGE_SIZE, { writable: false });
    const mapped = await other.read(6 * PAGE_SIZE, PAGE_SIZE);
    assert.equal(mapped.path, 'copy');
    assert.equal(mapped.copyReason, 'mapped');
    mapped.release();
    mapping.unmap();
    const counters = cache.counters();
    assert.equal(counters.copiedBytesByReason.dirty, 2 * PAGE_SIZE);
    assert.equal(counters.copiedBytesByReason.mapped, PAGE_SIZE);
    assert.equal(counters.zeroCopyBytes, 2 * PAGE_SIZE);
    await cache.close(handle);
    await other.close();
    await io.close();
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
});

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

/** Run `source` (an ES module) in a child node with tsx; resolves once it prints "ready". */
function spawnChild(source: string, args: string[], dir: string): Promise<{ child: ReturnType<typeof spawn>; line: string; exited: Promise<NodeJS.Signals | null> }> {
  return writeFile(join(dir, 'child.mjs'), source).then(
    () =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'child.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
        let out = '';
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        child.stdout!.on('data', (d) => {
          out += d;
          const ready = /^ready(.*)$/m.exec(out);
          if (ready) resolve({ child, line: ready[1].trim(), exited });
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)));
      }),
  );
}

const WRITER = (cacheUrl: string): string => `
const { PageCache, CacheFileIoProvider } = await import(${JSON.stringify(cacheUrl)});
const [path, mode, length] = process.argv.slice(2);
const cache = new PageCache({ writebackIntervalMs: 0, writeBehind: mode === 'behind' });
const io = await new CacheFileIoProvider(cache).open(path, { writable: true });
const data = Buffer.alloc(Number(length));
for (let i = 0; i < data.length; i++) data[i] = (i * 5 + 3) & 0xff;
await io.write(0, data);
if (mode === 'flush') await io.flush();
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`;

test('durability: once a write (or a FLUSH in write-behind mode) answers, the data survives kill -9 of the writer', async () => {
  const dir = await tempDir();
  const cacheUrl = pathToFileURL(join(ROOT, 'cache/index.ts')).href;
  const length = 3 * 1024 * 1024 + 77;
  const expected = Buffer.alloc(length);
  for (let i = 0; i < length; i++) expected[i] = (i * 5 + 3) & 0xff;
  try {
    for (const mode of ['flush', 'no-flush', 'behind']) {
      const path = join(dir, `${mode}.bin`);
      await writeFile(path, Buffer.alloc(0));
      const { child, exited } = await spawnChild(WRITER(cacheUrl), [path, mode, String(length)], dir);
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
      const onDisk = await readFile(path);
      if (mode === 'behind') assert.equal(onDisk.length, 0, 'control: write-behind without FLUSH kept the data only in the cache');
      else assert.ok(onDisk.equals(expected), `${mode}: acknowledged data is on disk after kill -9`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
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
