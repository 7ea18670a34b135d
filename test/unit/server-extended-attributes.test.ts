// Extended attributes over loopback: set by the CREATE's EA buffer and by SET_INFO, read back by
// QUERY_INFO, and kept as the file's user.* attributes on disk (read here through the addon).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { startServer, testHostFs, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import type { Tree } from '../../client/tree.js';
import { SmbError } from '../../client/connection.js';
import { cat, le16, le32 } from '../support/bytes.js';

const FILE = 1;
const FILE_EA_INFORMATION = 0x07;
const FILE_FULL_EA_INFORMATION = 0x0f;
const FILE_OVERWRITE_IF = 5;
const FILE_OPEN = 1;
const FILE_READ_EA = 0x8;
const FILE_WRITE_EA = 0x10;
const STATUS_NO_EAS_ON_FILE = 0xc0000052;
const STATUS_ACCESS_DENIED = 0xc0000022;
const STATUS_INVALID_PARAMETER = 0xc000000d;

const entry = (next: number, name: string, value: string) =>
  cat(le32(next), [0, name.length], le16(value.length), Buffer.from(name, 'latin1'), [0], Buffer.from(value, 'latin1'));
const TWO = cat(entry(20, 'EAONE', 'VALUE1'), entry(0, 'SECONDEA', 'ValueTwo'));

let f: ServerFixture;
let tree: Tree;
before(async () => {
  f = await startServer();
  tree = (await treeClient(f)).tree;
});
after(async () => {
  await f.close();
});

async function onDisk(name: string): Promise<Record<string, string>> {
  const fd = openSync(path.join(f.dir, name), 'r');
  try {
    const attrs = await testHostFs().listUserXattrs!(fd, 65536);
    return Object.fromEntries(attrs.map((a) => [a.name, a.value.toString('latin1')]));
  } finally {
    closeSync(fd);
  }
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (err) {
    if (err instanceof SmbError) return err.status;
    throw err;
  }
}

test('the CREATE EA buffer lands as user.* attributes and QUERY_INFO returns the list and its size', async () => {
  const h = await tree.create('ea.txt', { desiredAccess: 0x12019f, disposition: FILE_OVERWRITE_IF, contexts: [{ name: 'ExtA', data: TWO }] });
  try {
    assert.deepEqual(await tree.queryInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION), TWO);
    assert.deepEqual(await tree.queryInfo(h.fileId, FILE, FILE_EA_INFORMATION), le32(TWO.length));
  } finally {
    await tree.close(h.fileId);
  }
  assert.deepEqual(await onDisk('ea.txt'), { EAONE: 'VALUE1', SECONDEA: 'ValueTwo' });
});

test('SET_INFO adds, replaces (case-insensitively) and removes (empty value) EAs; a file without EAs says NO_EAS_ON_FILE', async () => {
  await tree.writeFile('set.txt', Buffer.from('x'));
  const h = await tree.create('set.txt', { desiredAccess: FILE_READ_EA | FILE_WRITE_EA });
  try {
    assert.equal(await statusOf(tree.queryInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION)), STATUS_NO_EAS_ON_FILE);
    assert.deepEqual(await tree.queryInfo(h.fileId, FILE, FILE_EA_INFORMATION), le32(0));
    await tree.setInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION, TWO);
    await tree.setInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION, entry(0, 'eaone', 'new'));
    assert.deepEqual(await onDisk('set.txt'), { EAONE: 'new', SECONDEA: 'ValueTwo' });
    await tree.setInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION, entry(0, 'SecondEA', ''));
    assert.deepEqual(await tree.queryInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION), entry(0, 'EAONE', 'new'));
    assert.equal(await statusOf(tree.setInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION, entry(0, 'A:B', 'v'))), STATUS_INVALID_PARAMETER);
  } finally {
    await tree.close(h.fileId);
  }
});

test('reading EAs needs FILE_READ_EA, writing them FILE_WRITE_EA; an open of an existing file ignores the EA buffer', async () => {
  const h = await tree.create('ea.txt', { desiredAccess: 0x80, disposition: FILE_OPEN, contexts: [{ name: 'ExtA', data: entry(0, 'OTHER', 'z') }] });
  try {
    assert.equal(await statusOf(tree.queryInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION)), STATUS_ACCESS_DENIED);
    assert.equal(await statusOf(tree.setInfo(h.fileId, FILE, FILE_FULL_EA_INFORMATION, TWO)), STATUS_ACCESS_DENIED);
  } finally {
    await tree.close(h.fileId);
  }
  assert.deepEqual(await onDisk('ea.txt'), { EAONE: 'VALUE1', SECONDEA: 'ValueTwo' });
});
