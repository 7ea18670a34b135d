// QUERY_DIRECTORY through the real server: a listing of thousands of entries over many calls
// with small output buffers returns every name once with the host's sizes, times, attributes
// and ids; symlinks out of the share are not followed; calls on one handle do not interleave.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { descriptorsUnder, eventually } from '../support/open-descriptors.js';
import { treeClient } from '../support/logged-in-client.js';
import { SmbError } from '../../client/connection.js';
import type { Tree } from '../../client/index.js';
import type { FileId } from '../../smb2/commands/create.js';
import { Access, CreateOption, QueryDirectoryFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { Reader } from '../../wire/index.js';

/** [MS-FSCC] 2.4.17 FileIdBothDirectoryInformation. */
const FILE_ID_BOTH_DIRECTORY_INFORMATION = 0x25;
const FILE_ATTRIBUTE = { READONLY: 0x1, DIRECTORY: 0x10, ARCHIVE: 0x20 } as const;
/** 100 ns ticks from 1601 to 1970, [MS-DTYP] 2.3.3. */
const EPOCH = 116_444_736_000_000_000n;
const fileTime = (ns: bigint): bigint => ns / 100n + EPOCH;

interface Entry {
  name: string;
  creation: bigint;
  access: bigint;
  write: bigint;
  change: bigint;
  endOfFile: bigint;
  allocation: bigint;
  attributes: number;
  fileId: bigint;
}

/** FileIdBothDirectoryInformation entries, read field by field from the spec's layout (not with the server's encoder). */
function parseIdBoth(buf: Buffer): Entry[] {
  const out: Entry[] = [];
  for (let at = 0; ; ) {
    const r = new Reader(buf, at);
    const next = r.u32();
    r.u32(); // FileIndex
    const [creation, access, write, change, endOfFile, allocation] = [r.u64(), r.u64(), r.u64(), r.u64(), r.u64(), r.u64()];
    const attributes = r.u32();
    const nameLength = r.u32();
    r.skip(4 + 1 + 1 + 24 + 2); // EaSize, ShortNameLength, Reserved1, ShortName, Reserved2
    const fileId = r.u64();
    out.push({ name: r.utf16(nameLength), creation, access, write, change, endOfFile, allocation, attributes, fileId });
    if (next === 0) return out;
    assert.equal(next % 8, 0, 'entries start on 8-byte boundaries');
    at += next;
  }
}

const isStatus = (status: number) => (e: unknown) => e instanceof SmbError && e.status === status;

async function query(tree: Tree, h: FileId, outputBufferLength: number, flags = 0, pattern = '*'): Promise<Entry[] | null> {
  try {
    return parseIdBoth(await tree.queryDirectory(h, pattern, FILE_ID_BOTH_DIRECTORY_INFORMATION, flags, outputBufferLength));
  } catch (err) {
    if (err instanceof SmbError && err.status === Status.NO_MORE_FILES) return null;
    throw err;
  }
}

async function openDir(tree: Tree, name: string): Promise<FileId> {
  const h = await tree.create(name, { desiredAccess: Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES, createOptions: CreateOption.DIRECTORY_FILE });
  return h.fileId;
}

let f: ServerFixture;
let outside: string;
const COUNT = 3000;
const names: string[] = [];

before(async () => {
  f = await startServer();
  outside = await mkdtemp(path.join(tmpdir(), 'spliced-listing-outside-'));
  await mkdir(path.join(outside, 'dir'));
  await writeFile(path.join(outside, 'secret'), Buffer.alloc(54321));
  const dir = path.join(f.dir, 'many');
  await mkdir(dir);
  for (let i = 0; i < COUNT; i += 250) {
    await Promise.all(
      Array.from({ length: Math.min(250, COUNT - i) }, async (_, k) => {
        const n = i + k;
        const name = `entry-${n}-${'é文'.repeat(n % 7)}${'x'.repeat(n % 23)}`;
        names.push(name);
        const p = path.join(dir, name);
        if (n % 97 === 0) return mkdir(p);
        await writeFile(p, Buffer.alloc(n % 5000));
        // Distinct times with sub-second parts, some before 1970.
        await utimes(p, n % 11 === 0 ? -86_400 * n : 1_600_000_000 + n + 0.123, 1_500_000_000 + n * 3 + 0.5);
        if (n % 7 === 0) await chmod(p, 0o444);
      }),
    );
  }
  await symlink(path.join(outside, 'secret'), path.join(dir, 'link-out-file'));
  await symlink(path.join(outside, 'dir'), path.join(dir, 'link-out-dir'));
  await symlink(names[5]!, path.join(dir, 'link-in'));
  await symlink('does-not-exist', path.join(dir, 'link-dangling'));
});

after(async () => {
  await f.close();
  await rm(outside, { recursive: true, force: true });
});

async function listAll(tree: Tree, h: FileId, outputBufferLength: number): Promise<{ entries: Entry[]; calls: number }> {
  const entries: Entry[] = [];
  let calls = 0;
  for (let flags = QueryDirectoryFlag.RESTART_SCANS; ; flags = 0) {
    const got = await query(tree, h, outputBufferLength, flags);
    calls++;
    if (!got) return { entries, calls };
    entries.push(...got);
  }
}

test(`a ${COUNT}-entry listing over small buffers: every name once, with the host's sizes, times, attributes and ids`, { timeout: 120_000 }, async () => {
  const { c, tree } = await treeClient(f);
  const h = await openDir(tree, 'many');
  for (const outputBufferLength of [1024, 65536]) {
    const { entries, calls } = await listAll(tree, h, outputBufferLength);
    if (outputBufferLength === 1024) assert.ok(calls > 400, `${calls} calls`);
    assert.deepEqual(entries.slice(0, 2).map((e) => e.name), ['.', '..']);
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.size, entries.length, 'no name twice');
    const expected = [...names, 'link-out-file', 'link-out-dir', 'link-in', 'link-dangling'];
    assert.deepEqual(entries.slice(2).map((e) => e.name).sort(), expected.sort());
    for (const name of names) {
      const e = byName.get(name)!;
      const st = await lstat(path.join(f.dir, 'many', name), { bigint: true });
      const dir = st.isDirectory();
      assert.equal(e.endOfFile, dir ? 0n : st.size, name);
      assert.equal(e.allocation, dir ? 0n : ((st.size + 4095n) / 4096n) * 4096n, name);
      assert.equal(e.fileId, st.ino, name);
      assert.equal(e.write, st.mtimeNs < -EPOCH * 100n ? 0n : fileTime(st.mtimeNs) - (st.mtimeNs < 0n && st.mtimeNs % 100n !== 0n ? 1n : 0n), name);
      assert.equal(e.access, fileTime(st.atimeNs), name);
      assert.equal(e.change, fileTime(st.ctimeNs), name);
      assert.equal(e.creation, fileTime(st.birthtimeNs > 0n ? st.birthtimeNs : st.ctimeNs), name);
      const readOnly = (Number(st.mode) & 0o200) === 0;
      assert.equal(e.attributes, dir ? FILE_ATTRIBUTE.DIRECTORY : FILE_ATTRIBUTE.ARCHIVE | (readOnly ? FILE_ATTRIBUTE.READONLY : 0), name);
    }
    // Symlinks: inside ones show their target; ones leading out (or nowhere) show the link itself.
    const target = await lstat(path.join(f.dir, 'many', names[5]!), { bigint: true });
    assert.equal(byName.get('link-in')!.fileId, target.ino);
    for (const link of ['link-out-file', 'link-out-dir', 'link-dangling']) {
      const own = await lstat(path.join(f.dir, 'many', link), { bigint: true });
      const e = byName.get(link)!;
      assert.equal(e.fileId, own.ino, `${link} is the link itself`);
      assert.equal(e.attributes & FILE_ATTRIBUTE.DIRECTORY, 0, link);
      assert.notEqual(e.endOfFile, 54321n, `${link}: the outside file's size leaked`);
    }
  }
  await tree.close(h);
  c.close();
});

test('a buffer too small for the next entry: INFO_LENGTH_MISMATCH, and that entry comes with the next call', async () => {
  const { c, tree } = await treeClient(f);
  const h = await openDir(tree, 'many');
  const first = (await query(tree, h, 300, QueryDirectoryFlag.RESTART_SCANS))!;
  assert.deepEqual(first.map((e) => e.name), ['.', '..']);
  await assert.rejects(query(tree, h, 100), isStatus(Status.INFO_LENGTH_MISMATCH));
  const seen = new Set<string>();
  for (;;) {
    const got = await query(tree, h, 300);
    if (!got) break;
    for (const e of got) {
      assert.ok(!seen.has(e.name), `${e.name} twice`);
      seen.add(e.name);
    }
  }
  assert.equal(seen.size, names.length + 4, 'nothing lost after the refused call');
  assert.equal(await query(tree, h, 300), null, 'NO_MORE_FILES once done');
  await tree.close(h);
  c.close();
});

test('pipelined QUERY_DIRECTORY calls on one handle take turns: no entry twice, none lost', async () => {
  const { c, tree } = await treeClient(f);
  const h = await openDir(tree, 'many');
  const seen: string[] = [];
  for (;;) {
    const batch = await Promise.all(Array.from({ length: 8 }, () => query(tree, h, 4096)));
    for (const got of batch) for (const e of got ?? []) seen.push(e.name);
    if (batch.some((b) => b === null)) break;
  }
  assert.equal(new Set(seen).size, seen.length, 'no entry twice');
  assert.equal(seen.length, names.length + 6);
  await tree.close(h);
  c.close();
});

test('single entries, patterns and restart on a large directory', async () => {
  const { c, tree } = await treeClient(f);
  const h = await openDir(tree, 'many');
  const singles: string[] = [];
  for (let i = 0; i < 20; i++) {
    const got = (await query(tree, h, 65536, i === 0 ? QueryDirectoryFlag.RESTART_SCANS | QueryDirectoryFlag.RETURN_SINGLE_ENTRY : QueryDirectoryFlag.RETURN_SINGLE_ENTRY))!;
    assert.equal(got.length, 1);
    singles.push(got[0]!.name);
  }
  assert.equal(new Set(singles).size, 20);
  const pattern = (await query(tree, h, 65536, QueryDirectoryFlag.RESTART_SCANS, 'ENTRY-1??-*'))!.map((e) => e.name);
  const wanted = names.filter((n) => /^entry-1\d\d-/.test(n));
  assert.deepEqual(pattern.sort(), wanted.sort());
  assert.equal(wanted.length, 100);
  assert.equal(await query(tree, h, 65536, 0, 'ignored-without-restart'), null, 'a pattern without RESTART_SCANS continues the scan: NO_MORE_FILES');
  await assert.rejects(query(tree, h, 65536, QueryDirectoryFlag.RESTART_SCANS, 'no-such-*'), isStatus(Status.NO_SUCH_FILE));
  const again = await listAll(tree, h, 65536);
  assert.equal(again.entries.length, names.length + 6, 'a restart lists everything again');
  await tree.close(h);
  c.close();
});

test('a listing holds a descriptor of its own only while it runs: none once it ends, restarts or its handle closes', async () => {
  const { c, tree } = await treeClient(f);
  const h = await openDir(tree, 'many');
  const withHandle = descriptorsUnder(f.dir);
  await query(tree, h, 4096, QueryDirectoryFlag.RESTART_SCANS);
  assert.equal(descriptorsUnder(f.dir), withHandle + 1, 'the listing reads through its own descriptor');
  await query(tree, h, 4096, QueryDirectoryFlag.RESTART_SCANS);
  await query(tree, h, 4096);
  assert.ok(await eventually(() => descriptorsUnder(f.dir) === withHandle + 1), 'a restart closes the old listing descriptor');
  await listAll(tree, h, 65536);
  assert.ok(await eventually(() => descriptorsUnder(f.dir) === withHandle), 'the end of the listing closes it');
  await query(tree, h, 4096, QueryDirectoryFlag.RESTART_SCANS);
  await tree.close(h);
  assert.ok(await eventually(() => descriptorsUnder(f.dir) === withHandle - 1), 'closing the handle mid-listing closes both');
  c.close();
});

test('what a response cannot take is sent next time; too much of it (a pattern, long names) falls back to seeking: every entry once', async () => {
  const dir = path.join(f.dir, 'long');
  await mkdir(dir);
  const long = Array.from({ length: 120 }, (_, i) => `L${i}-${'n'.repeat(200)}`);
  for (const name of long) await writeFile(path.join(dir, name), '');
  await writeFile(path.join(dir, 'other'), '');
  const { c, tree } = await treeClient(f);
  const h = await openDir(tree, 'long');
  for (const pattern of ['*', 'L*']) {
    const seen: string[] = [];
    for (let flags = QueryDirectoryFlag.RESTART_SCANS; ; flags = 0) {
      const got = await query(tree, h, 4096, flags, pattern);
      if (!got) break;
      seen.push(...got.map((e) => e.name).filter((n) => n !== '.' && n !== '..'));
    }
    const expected = pattern === '*' ? [...long, 'other'] : long;
    assert.equal(new Set(seen).size, seen.length, `${pattern}: no entry twice`);
    assert.deepEqual(seen.sort(), expected.sort(), pattern);
  }
  await tree.close(h);
  c.close();
});
