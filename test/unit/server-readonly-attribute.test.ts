import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { loggedInClient } from '../support/logged-in-client.js';
import { SmbError } from '../../client/connection.js';
import type { Tree } from '../../client/tree.js';
import { Access, InfoType } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { cat, le32, le64, zeros } from '../support/bytes.js';

// [MS-FSCC] 2.4.7 FileBasicInformation: four FILETIMEs (0 = unchanged), FileAttributes, Reserved.
const FILE_BASIC_INFORMATION = 0x04;
const READONLY = 0x1;
const ARCHIVE = 0x20;
const NORMAL = 0x80;
const DIRECTORY = 0x10;

let f: ServerFixture;
let tree: Tree;
before(async () => {
  f = await startServer();
  const c = await loggedInClient(f, { credentials: { anonymous: true } });
  tree = await c.treeConnect('share');
});
after(async () => {
  await f.close();
});

async function setAttributes(name: string, attributes: number, directory = false): Promise<void> {
  const h = await tree.create(name, { desiredAccess: Access.FILE_WRITE_ATTRIBUTES, createOptions: directory ? 0x1 : 0x40 });
  try {
    await tree.setInfo(h.fileId, InfoType.FILE, FILE_BASIC_INFORMATION, cat(le64(0), le64(0), le64(0), le64(0), le32(attributes), zeros(4)));
  } finally {
    await tree.close(h.fileId);
  }
}

async function attributesOf(name: string): Promise<number> {
  const h = await tree.create(name, { desiredAccess: Access.FILE_READ_ATTRIBUTES });
  try {
    return (await tree.queryInfo(h.fileId, InfoType.FILE, FILE_BASIC_INFORMATION)).readUInt32LE(32);
  } finally {
    await tree.close(h.fileId);
  }
}

const modeOf = async (name: string) => (await stat(path.join(f.dir, name))).mode & 0o777;

test('READONLY is stored in the mode bits, reported back, and refuses opens for writing', async () => {
  await tree.writeFile('ro.txt', Buffer.from('keep me'));
  assert.equal((await attributesOf('ro.txt')) & READONLY, 0);
  await setAttributes('ro.txt', READONLY | ARCHIVE);
  assert.equal((await modeOf('ro.txt')) & 0o222, 0, 'chmod a-w on the server');
  assert.equal((await attributesOf('ro.txt')) & READONLY, READONLY);
  await assert.rejects(tree.writeFile('ro.txt', Buffer.from('clobber')), (e: unknown) => e instanceof SmbError && e.status === Status.ACCESS_DENIED);
  assert.equal((await tree.readFile('ro.txt')).toString(), 'keep me');
  await setAttributes('ro.txt', 0); // 0 = leave the attributes alone
  assert.equal((await attributesOf('ro.txt')) & READONLY, READONLY);
  await setAttributes('ro.txt', NORMAL);
  assert.equal((await modeOf('ro.txt')) & 0o200, 0o200);
  await tree.writeFile('ro.txt', Buffer.from('changed'));
  assert.equal((await tree.readFile('ro.txt')).toString(), 'changed');
});

test('READONLY on a directory is ignored, as Windows does', async () => {
  await tree.mkdir('rodir');
  const before = await modeOf('rodir');
  await setAttributes('rodir', READONLY | DIRECTORY, true);
  assert.equal(await modeOf('rodir'), before);
  assert.equal((await attributesOf('rodir')) & READONLY, 0);
});
