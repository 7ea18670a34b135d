// QUERY_INFO over loopback: the access each class needs ([MS-FSA] 2.1.5.12, [MS-SMB2] 3.3.5.20.3)
// and the buffer-size answers for FileAlternateNameInformation and FileFsControlInformation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import type { Tree } from '../../client/tree.js';
import { cat, le16, le32, le64, utf16 } from '../support/bytes.js';

const QUERY_INFO = 0x10;
const FILE = 1;
const FILESYSTEM = 2;
const SECURITY = 3;
const SYNCHRONIZE = 0x100000;
const FILE_READ_ATTRIBUTES = 0x80;
const READ_CONTROL = 0x20000;
const STATUS_ACCESS_DENIED = 0xc0000022;
const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004;
const STATUS_BUFFER_OVERFLOW = 0x80000005;
const OWNER_GROUP_DACL = 0x7;

let f: ServerFixture;
let tree: Tree;
before(async () => {
  f = await startServer();
  tree = (await treeClient(f)).tree;
  await tree.writeFile('plain.txt', Buffer.from('hello'));
});
after(async () => {
  await f.close();
});

/** [MS-SMB2] 2.2.37 QUERY_INFO request body, no input buffer. */
function queryInfoBody(fileId: Buffer, infoType: number, infoClass: number, length: number, additional: number): Buffer {
  return cat([41, 0, infoType, infoClass], le32(length), le16(0), le16(0), le32(0), le32(additional), le32(0), fileId);
}

/** One QUERY_INFO on a fresh open with `access`: the status and the OutputBuffer. */
async function query(access: number, infoType: number, infoClass: number, o: { length?: number; additional?: number } = {}): Promise<{ status: number; data?: Buffer }> {
  const h = await tree.create('plain.txt', { desiredAccess: access });
  try {
    const fileId = cat(le64(h.fileId.persistent), le64(h.fileId.volatile));
    const body = queryInfoBody(fileId, infoType, infoClass, o.length ?? 65536, o.additional ?? 0);
    const r = await tree.client.request(QUERY_INFO, body, { treeId: tree.treeId, allowError: true });
    if (r.header.status !== 0 && r.header.status !== STATUS_BUFFER_OVERFLOW) return { status: r.header.status };
    // [MS-SMB2] 2.2.38: StructureSize(2) OutputBufferOffset(2) OutputBufferLength(4) Buffer.
    const body2 = r.message.subarray(64);
    const offset = body2.readUInt16LE(2);
    return { status: r.header.status, data: r.message.subarray(offset, offset + body2.readUInt32LE(4)) };
  } finally {
    await tree.close(h.fileId);
  }
}

test('attribute classes need FILE_READ_ATTRIBUTES; standard, internal, position and alternate name need nothing', async () => {
  for (const cls of [0x04, 0x12, 0x22, 0x23]) {
    assert.equal((await query(SYNCHRONIZE, FILE, cls)).status, STATUS_ACCESS_DENIED, `class ${cls} without access`);
    assert.equal((await query(FILE_READ_ATTRIBUTES, FILE, cls)).status, 0, `class ${cls} with FILE_READ_ATTRIBUTES`);
  }
  for (const cls of [0x05, 0x06, 0x0e, 0x15]) assert.equal((await query(SYNCHRONIZE, FILE, cls)).status, 0, `class ${cls}`);
});

test('the security descriptor needs READ_CONTROL, not FILE_READ_ATTRIBUTES', async () => {
  assert.equal((await query(FILE_READ_ATTRIBUTES, SECURITY, 0, { additional: OWNER_GROUP_DACL })).status, STATUS_ACCESS_DENIED);
  assert.equal((await query(READ_CONTROL, SECURITY, 0, { additional: OWNER_GROUP_DACL })).status, 0);
});

test('FileAlternateNameInformation: the 8.3 name, LENGTH_MISMATCH below 8 bytes, BUFFER_OVERFLOW until it fits', async () => {
  const whole = cat(le32(18), utf16('plain.txt'));
  assert.deepEqual((await query(SYNCHRONIZE, FILE, 0x15)).data, whole);
  for (let n = 1; n <= whole.length; n++) {
    const r = await query(SYNCHRONIZE, FILE, 0x15, { length: n });
    const want = n < 8 ? STATUS_INFO_LENGTH_MISMATCH : n < whole.length ? STATUS_BUFFER_OVERFLOW : 0;
    assert.equal(r.status, want, `OutputBufferLength ${n}`);
  }
});

test('FileFsControlInformation answers 48 bytes saying no quota', async () => {
  const r = await query(SYNCHRONIZE, FILESYSTEM, 6);
  assert.equal(r.data?.length, 48);
  assert.equal(r.data!.readBigUInt64LE(24), 0xffffffffffffffffn);
  assert.equal((await query(SYNCHRONIZE, FILESYSTEM, 6, { length: 47 })).status, STATUS_INFO_LENGTH_MISMATCH);
});

test('FileNormalizedNameInformation: the share-relative name on SMB 3.1.1, NOT_SUPPORTED on earlier dialects', async () => {
  await tree.mkdir('nd');
  await tree.writeFile('nd/Inner.txt', Buffer.from('x'));
  const h = await tree.create('nd/Inner.txt', { desiredAccess: SYNCHRONIZE });
  try {
    assert.deepEqual(await tree.queryInfo(h.fileId, FILE, 0x30), cat(le32(24), utf16('nd\\Inner.txt')));
  } finally {
    await tree.close(h.fileId);
  }
  const old = (await treeClient(f, 'share', { dialects: [0x0302] })).tree;
  const h2 = await old.create('nd/Inner.txt', { desiredAccess: SYNCHRONIZE });
  try {
    await assert.rejects(old.queryInfo(h2.fileId, FILE, 0x30), (e: unknown) => e instanceof Error && 'status' in e && e.status === 0xc00000bb);
  } finally {
    await old.close(h2.fileId);
  }
});

test('a listing names the same 8.3 name as FileAlternateNameInformation for a long name, and none for an 8.3 name', async () => {
  await tree.mkdir('sn');
  await tree.writeFile('sn/A long file name.txt', Buffer.from('x'));
  await tree.writeFile('sn/short.txt', Buffer.from('x'));
  const h = await tree.create('sn/A long file name.txt', { desiredAccess: SYNCHRONIZE });
  const alt = await tree.queryInfo(h.fileId, FILE, 0x15);
  await tree.close(h.fileId);
  const altName = alt.subarray(4, 4 + alt.readUInt32LE(0)).toString('utf16le');
  assert.match(altName, /^AL[0-9A-F]{4}~1\.TXT$/);
  // [MS-FSCC] 2.4 FileIdBothDirectoryInformation: ShortNameLength at 68, ShortName (24 bytes) at 70, FileName at 104.
  const shortNameIn = async (pattern: string) => {
    const d = await tree.create('sn', { desiredAccess: 0x1 | SYNCHRONIZE, createOptions: 0x1 });
    try {
      const entry = await tree.queryDirectory(d.fileId, pattern, 0x25);
      return entry.subarray(70, 70 + entry[68]!).toString('utf16le');
    } finally {
      await tree.close(d.fileId);
    }
  };
  assert.equal(await shortNameIn('A long file name.txt'), altName);
  assert.equal(await shortNameIn('short.txt'), '');
});
