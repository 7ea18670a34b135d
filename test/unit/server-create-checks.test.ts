// CREATE fields refused before any file is touched ([MS-SMB2] 3.3.5.9, [MS-FSA] 2.1.5.1), and the
// attributes SET_INFO refuses on a directory ([MS-FSA] 2.1.5.14.2); requests spelled out by hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { cat, le16, le32, le64, utf16, zeros } from '../support/bytes.js';
import type { Tree } from '../../client/tree.js';
import { SmbError } from '../../client/connection.js';

const CREATE = 0x0005;
const STATUS_SUCCESS = 0;
const STATUS_INVALID_PARAMETER = 0xc000000d;
const STATUS_BAD_IMPERSONATION_LEVEL = 0xc00000a5;
const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const FILE_ATTRIBUTE_TEMPORARY = 0x100;
const FILE_DIRECTORY_FILE = 0x1;
const FILE_CREATE = 2;
const FILE_ALL_ACCESS = 0x1f01ff;

/** [MS-SMB2] 2.2.13 CREATE request body with the name right after the 56 fixed bytes (offset 120). */
function createBody(o: { name: string; impersonationLevel: number; fileAttributes?: number; createOptions?: number; desiredAccess?: number }): Buffer {
  const name = utf16(o.name);
  return cat(
    le16(57), [0, 0], le32(o.impersonationLevel), zeros(8), zeros(8),
    le32(o.desiredAccess ?? FILE_ALL_ACCESS), le32(o.fileAttributes ?? 0), le32(7), le32(FILE_CREATE), le32(o.createOptions ?? 0),
    le16(120), le16(name.length), le32(0), le32(0), name,
  );
}

let f: ServerFixture;
let tree: Tree;
before(async () => {
  f = await startServer();
  tree = (await treeClient(f)).tree;
});
after(async () => {
  await f.close();
});

async function createStatus(body: Buffer): Promise<number> {
  const r = await tree.client.request(CREATE, body, { treeId: tree.treeId, allowError: true });
  return r.header.status;
}

test('an ImpersonationLevel above Delegate (3) is STATUS_BAD_IMPERSONATION_LEVEL and creates nothing', async () => {
  assert.equal(await createStatus(createBody({ name: 'imp.txt', impersonationLevel: 0x12345678 })), STATUS_BAD_IMPERSONATION_LEVEL);
  assert.equal(await createStatus(createBody({ name: 'imp.txt', impersonationLevel: 4 })), STATUS_BAD_IMPERSONATION_LEVEL);
  assert.equal(existsSync(path.join(f.dir, 'imp.txt')), false);
  assert.equal(await createStatus(createBody({ name: 'imp.txt', impersonationLevel: 3 })), STATUS_SUCCESS);
  assert.equal(existsSync(path.join(f.dir, 'imp.txt')), true);
});

test('a temporary directory cannot be created', async () => {
  const body = createBody({ name: 'tmpdir', impersonationLevel: 2, fileAttributes: FILE_ATTRIBUTE_TEMPORARY, createOptions: FILE_DIRECTORY_FILE });
  assert.equal(await createStatus(body), STATUS_INVALID_PARAMETER);
  assert.equal(existsSync(path.join(f.dir, 'tmpdir')), false);
});

test('CreateOptions, FileAttributes and DesiredAccess bits refused as Windows refuses them, creating nothing', async () => {
  const STATUS_NOT_SUPPORTED = 0xc00000bb;
  const STATUS_ACCESS_DENIED = 0xc0000022;
  const cases: Array<[string, Partial<Parameters<typeof createBody>[0]>, number]> = [
    ['undefined option 0xF0000000', { createOptions: 0xf0000000 }, STATUS_INVALID_PARAMETER],
    ['undefined option 0x01000000', { createOptions: 0x01000000 }, STATUS_INVALID_PARAMETER],
    ['FILE_CREATE_TREE_CONNECTION', { createOptions: 0x80 }, STATUS_NOT_SUPPORTED],
    ['FILE_OPEN_BY_FILE_ID', { createOptions: 0x2000 }, STATUS_NOT_SUPPORTED],
    ['FILE_RESERVE_OPFILTER', { createOptions: 0x100000 }, STATUS_NOT_SUPPORTED],
    ['directory and non-directory', { createOptions: 0x41 }, STATUS_INVALID_PARAMETER],
    ['FILE_ATTRIBUTE_VOLUME', { fileAttributes: 0x8 }, STATUS_INVALID_PARAMETER],
    ['FILE_ATTRIBUTE_DEVICE', { fileAttributes: 0x40 }, STATUS_INVALID_PARAMETER],
    ['attribute 0x8000', { fileAttributes: 0x8000 }, STATUS_INVALID_PARAMETER],
    ['attribute 0x10000', { fileAttributes: 0x10000 }, STATUS_INVALID_PARAMETER],
    ['reserved access 0x04000000', { desiredAccess: 0x04000000 }, STATUS_ACCESS_DENIED],
    ['reserved access 0x08000000', { desiredAccess: 0x08000000 }, STATUS_ACCESS_DENIED],
  ];
  for (const [what, o, status] of cases) {
    assert.equal(await createStatus(createBody({ name: 'bits.txt', impersonationLevel: 2, ...o })), status, what);
  }
  assert.equal(existsSync(path.join(f.dir, 'bits.txt')), false);
  // The defined bits still work: write-through, sequential, no intermediate buffering, random access.
  assert.equal(await createStatus(createBody({ name: 'bits.txt', impersonationLevel: 2, createOptions: 0x2 | 0x4 | 0x8 | 0x800, fileAttributes: 0x2 | 0x20 })), STATUS_SUCCESS);
});

/** [MS-FSCC] 2.4.7 FileBasicInformation: four FILETIMEs left alone (0), FileAttributes, Reserved. */
const basicWithAttributes = (attributes: number) => cat(le64(0), le64(0), le64(0), le64(0), le32(attributes), zeros(4));

async function setAttributesStatus(name: string, attributes: number, createOptions: number): Promise<number> {
  const h = await tree.create(name, { desiredAccess: 0x100, createOptions });
  try {
    await tree.setInfo(h.fileId, 1, 4, basicWithAttributes(attributes));
    return STATUS_SUCCESS;
  } catch (err) {
    if (err instanceof SmbError) return err.status;
    throw err;
  } finally {
    await tree.close(h.fileId);
  }
}

test('SET_INFO refuses TEMPORARY on a directory and DIRECTORY on a file, and takes TEMPORARY on a file', async () => {
  await tree.mkdir('adir');
  await tree.writeFile('afile.txt', Buffer.from('x'));
  assert.equal(await setAttributesStatus('adir', FILE_ATTRIBUTE_TEMPORARY | FILE_ATTRIBUTE_DIRECTORY, FILE_DIRECTORY_FILE), STATUS_INVALID_PARAMETER);
  assert.equal(await setAttributesStatus('afile.txt', FILE_ATTRIBUTE_DIRECTORY, 0x40), STATUS_INVALID_PARAMETER);
  assert.equal(await setAttributesStatus('afile.txt', FILE_ATTRIBUTE_TEMPORARY, 0x40), STATUS_SUCCESS);
  assert.equal(await setAttributesStatus('adir', FILE_ATTRIBUTE_DIRECTORY, FILE_DIRECTORY_FILE), STATUS_SUCCESS);
});
