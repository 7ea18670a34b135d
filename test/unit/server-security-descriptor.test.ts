// Security descriptors set by SET_INFO and by the CREATE SD buffer land on the file's mode bits
// (owner, group, Everyone ACEs), need WRITE_DAC, and read back through QUERY_INFO the same way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import type { Tree } from '../../client/tree.js';
import type { FileId } from '../../smb2/commands/create.js';
import { cat, le16, le32, le64 } from '../support/bytes.js';
import { aceBytes, aclBytes, EVERYONE, securityDescriptorBytes, sidBytes, unixGroup, unixUser } from '../support/security-bytes.js';

const SET_INFO = 0x11;
const SECURITY = 3;
const DACL = 0x4;
const OWNER = 0x1;
const WRITE_DAC = 0x40000;
const READ_CONTROL = 0x20000;
const FILE_READ_ATTRIBUTES = 0x80;
const FILE_ALL_ACCESS = 0x1f01ff;
const FILE_GENERIC_READ = 0x120089;
const FILE_CREATE = 2;
const STATUS_ACCESS_DENIED = 0xc0000022;
const STATUS_INVALID_PARAMETER = 0xc000000d;

let f: ServerFixture;
let tree: Tree;
let uid: number;
let gid: number;
before(async () => {
  f = await startServer();
  tree = (await treeClient(f)).tree;
  ({ uid, gid } = await stat(f.dir));
});
after(async () => {
  await f.close();
});

/** [MS-SMB2] 2.2.39 SET_INFO request body, the buffer right after the 32 fixed bytes (offset 96). */
function setInfoBody(fileId: FileId, additional: number, buffer: Buffer): Buffer {
  return cat([33, 0, SECURITY, 0], le32(buffer.length), le16(96), le16(0), le32(additional), le64(fileId.persistent), le64(fileId.volatile), buffer);
}

async function setSecurity(name: string, access: number, additional: number, sd: Buffer): Promise<number> {
  const h = await tree.create(name, { desiredAccess: access });
  try {
    const r = await tree.client.request(SET_INFO, setInfoBody(h.fileId, additional, sd), { treeId: tree.treeId, allowError: true });
    return r.header.status;
  } finally {
    await tree.close(h.fileId);
  }
}

const modeOf = async (name: string) => (await stat(path.join(f.dir, name))).mode & 0o7777;
const ownerGroupEveryone = (owner: number, group: number, everyone: number) =>
  securityDescriptorBytes({ dacl: aclBytes([aceBytes(0, owner, unixUser(uid)), aceBytes(0, group, unixGroup(gid)), aceBytes(0, everyone, EVERYONE)]) });

test('SET_INFO with a DACL sets the mode bits, and QUERY_INFO reports them back as the same ACEs', async () => {
  await tree.writeFile('sd.txt', Buffer.from('x'));
  assert.equal(await setSecurity('sd.txt', WRITE_DAC, DACL, ownerGroupEveryone(FILE_ALL_ACCESS, FILE_GENERIC_READ, 0)), 0);
  assert.equal(await modeOf('sd.txt'), 0o740);
  const h = await tree.create('sd.txt', { desiredAccess: READ_CONTROL });
  const reported = await tree.queryInfo(h.fileId, SECURITY, 0, 65536, DACL);
  await tree.close(h.fileId);
  assert.deepEqual(reported.subarray(20), aclBytes([aceBytes(0, FILE_ALL_ACCESS, unixUser(uid)), aceBytes(0, FILE_GENERIC_READ, unixGroup(gid)), aceBytes(0, 0, EVERYONE)]));
});

test('a DACL needs WRITE_DAC; a malformed descriptor is INVALID_PARAMETER; a DACL of foreign SIDs and an owner that is no Unix SID change nothing', async () => {
  await tree.writeFile('sd2.txt', Buffer.from('x'));
  const before = await modeOf('sd2.txt');
  assert.equal(await setSecurity('sd2.txt', FILE_READ_ATTRIBUTES, DACL, ownerGroupEveryone(FILE_ALL_ACCESS, 0, 0)), STATUS_ACCESS_DENIED);
  assert.equal(await setSecurity('sd2.txt', WRITE_DAC, DACL, Buffer.from([1, 0, 4])), STATUS_INVALID_PARAMETER);
  const foreign = securityDescriptorBytes({ owner: sidBytes(5, 21, 7, 8, 9, 1001), dacl: aclBytes([aceBytes(0, FILE_ALL_ACCESS, sidBytes(5, 21, 7, 8, 9, 1001))]) });
  assert.equal(await setSecurity('sd2.txt', WRITE_DAC | 0x80000, DACL | OWNER, foreign), 0);
  assert.equal(await modeOf('sd2.txt'), before);
});

test('the CREATE SD buffer gives a new file its mode; opening an existing file ignores it', async () => {
  const sd = ownerGroupEveryone(FILE_ALL_ACCESS, 0, 0);
  const h = await tree.create('made.txt', { desiredAccess: FILE_ALL_ACCESS, disposition: FILE_CREATE, contexts: [{ name: 'SecD', data: sd }] });
  await tree.close(h.fileId);
  assert.equal(await modeOf('made.txt'), 0o700);
  const open = ownerGroupEveryone(FILE_ALL_ACCESS, FILE_ALL_ACCESS, FILE_ALL_ACCESS);
  const h2 = await tree.create('made.txt', { desiredAccess: FILE_READ_ATTRIBUTES, contexts: [{ name: 'SecD', data: open }] });
  await tree.close(h2.fileId);
  assert.equal(await modeOf('made.txt'), 0o700);
});
