// Durable handles over loopback with our own client: CREATE requests with hand-built DHnQ/DHnC/
// DH2Q/DH2C contexts (support/durable-pdus.ts), dropped TCP connections, reconnects on new ones.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEFAULT_LIMITS, type ServerLimits } from '../../server/options.js';
import { noTelemetry } from '../../server/telemetry.js';
import { MemoryUserDb } from '../../auth/user-db.js';
import { ntHash } from '../../auth/nt-hash.js';
import { Command, HeaderFlag } from '../../smb2/constants.js';
import { decodeCreateResponse, type CreateResponse, type FileId } from '../../smb2/commands/create.js';
import { decodeDurableResponseV2 } from '../../smb2/commands/durable-contexts.js';
import type { Smb2Client, Tree } from '../../client/index.js';
import { startServer, TEST_PASSWORD, TEST_USER, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { createBody, dh2c, dh2q, dhnc, dhnq, type CreateBody } from '../support/durable-pdus.js';
import { breakClient } from '../support/oplock-client.js';
import { fileIdOfCreateResponse, oplockAckBody } from '../support/oplock-pdus.js';

const BATCH = 0x09;
const OPENED = 1;
const S = { OK: 0, INVALID_PARAMETER: 0xc000000d, NOT_FOUND: 0xc0000034, ACCESS_DENIED: 0xc0000022 } as const;
const READ_WRITE = 0x0012019f;
const BOB = { user: 'bob', password: 'Bob-pass 9' };

interface Server {
  f: ServerFixture;
  /** Files open on the server, as its telemetry counts them (a kept durable open still counts). */
  openFiles(): number;
}

async function server(limits: Partial<ServerLimits> = {}): Promise<Server> {
  let open = 0;
  const users = new MemoryUserDb([{ name: TEST_USER, ntHash: ntHash(TEST_PASSWORD) }, { name: BOB.user, ntHash: ntHash(BOB.password) }]);
  const telemetry = { ...noTelemetry, fileOpened: () => void open++, fileClosed: () => void open-- };
  const f = await startServer({ users, limits: { ...DEFAULT_LIMITS, ...limits } }, { telemetry });
  return { f, openFiles: () => open };
}

let s: Server;
before(async () => {
  s = await server();
});
after(() => s.f.close());

interface Created {
  status: number;
  res?: CreateResponse;
  context(name: string): Buffer | undefined;
}

async function create(tree: Tree, body: CreateBody, flags = 0): Promise<Created> {
  const r = await tree.client.request(Command.CREATE, createBody(body), { treeId: tree.treeId, allowError: true, flags });
  const res = r.header.status === S.OK ? decodeCreateResponse(r.reader) : undefined;
  return { status: r.header.status, res, context: (name) => res?.contexts.find((c) => c.name === name)?.data };
}

async function durableOpen(tree: Tree, name: string, durable: [string, Buffer]): Promise<FileId> {
  const r = await create(tree, { name, oplockLevel: BATCH, desiredAccess: READ_WRITE, contexts: [durable] });
  assert.equal(r.status, S.OK);
  assert.equal(r.res!.oplockLevel, BATCH);
  assert.ok(r.context(durable[0]), `${durable[0]} granted`);
  return r.res!.fileId;
}

async function waitFor(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Drop the client's TCP connection and wait until the server has let go of it. */
async function drop(c: Smb2Client): Promise<void> {
  const before = s.f.server.accounting().connections;
  c.close();
  await waitFor('the server to see the connection close', () => s.f.server.accounting().connections < before);
}

test('DHnQ is granted with a Batch oplock (8 reserved bytes back), and not without one', async () => {
  const { c, tree } = await treeClient(s.f);
  const granted = await create(tree, { name: 'grant.txt', oplockLevel: BATCH, contexts: [dhnq()] });
  assert.deepEqual(granted.context('DHnQ'), Buffer.alloc(8));
  await tree.close(granted.res!.fileId);
  const plain = await create(tree, { name: 'grant.txt', oplockLevel: 0x01, contexts: [dhnq()] });
  assert.equal(plain.status, S.OK);
  assert.equal(plain.context('DHnQ'), undefined);
  await tree.close(plain.res!.fileId);
  c.close();
});

test('a durable open survives a dropped connection: DHnC on a new connection reclaims it, with the data written before', async () => {
  const before = s.openFiles();
  const a = await treeClient(s.f);
  const id = await durableOpen(a.tree, 'survivor.txt', dhnq());
  await a.tree.write(id, 0, Buffer.from('written before the drop'));
  await drop(a.c);
  assert.equal(s.openFiles(), before + 1, 'the open is kept, not closed');

  const b = await treeClient(s.f);
  const other = await create(b.tree, { name: 'other.txt', desiredAccess: READ_WRITE });
  assert.notEqual(other.res!.fileId.persistent, id.persistent, 'persistent ids are unique server-wide');
  await b.tree.close(other.res!.fileId);
  const r = await create(b.tree, { name: 'ignored-for-oplocks', contexts: [dhnc(id)] });
  assert.equal(r.status, S.OK);
  assert.equal(r.res!.createAction, OPENED);
  assert.equal(r.res!.oplockLevel, BATCH);
  assert.equal(r.res!.fileId.persistent, id.persistent);
  assert.equal(r.context('DHnQ'), undefined, 'a reconnect carries no durable response context');
  assert.equal(r.res!.endOfFile, 23n);
  assert.equal((await b.tree.read(r.res!.fileId, 0, 64)).toString(), 'written before the drop');
  await b.tree.close(r.res!.fileId);
  assert.equal(s.openFiles(), before);
  b.c.close();
});

test('the durable timer closes an open nobody reclaims (v2 timeout), and a reconnect then finds nothing', async () => {
  const before = s.openFiles();
  const guid = randomBytes(16);
  const a = await treeClient(s.f);
  const id = await durableOpen(a.tree, 'expires.txt', dh2q(150, guid));
  const started = Date.now();
  await drop(a.c);
  assert.equal(s.openFiles(), before + 1);
  await waitFor('the durable timer', () => s.openFiles() === before);
  assert.ok(Date.now() - started >= 100, 'not closed before its timeout');
  const b = await treeClient(s.f);
  assert.equal((await create(b.tree, { name: 'expires.txt', contexts: [dh2c(id, guid)] })).status, S.NOT_FOUND);
  // Its share mode (none) went with it: an exclusive open succeeds at once.
  const again = await create(b.tree, { name: 'expires.txt', desiredAccess: READ_WRITE, shareAccess: 0 });
  assert.equal(again.status, S.OK);
  await b.tree.close(again.res!.fileId);
  b.c.close();
});

test('a still-connected open, another CreateGuid or another user cannot reclaim; the owner with the CreateGuid can', async () => {
  const guid = randomBytes(16);
  const a = await treeClient(s.f);
  const id = await durableOpen(a.tree, 'guarded.txt', dh2q(0, guid));
  assert.equal((await create(a.tree, { name: '', contexts: [dh2c(id, guid)] })).status, S.NOT_FOUND, 'still connected');
  await drop(a.c);
  const bob = await treeClient(s.f, 'share', { credentials: BOB });
  assert.equal((await create(bob.tree, { name: '', contexts: [dh2c(id, guid)] })).status, S.ACCESS_DENIED);
  bob.c.close();
  const b = await treeClient(s.f);
  assert.equal((await create(b.tree, { name: '', contexts: [dh2c(id, randomBytes(16))] })).status, S.NOT_FOUND);
  assert.equal((await create(b.tree, { name: '', contexts: [dh2c(id, Buffer.alloc(16))] })).status, S.NOT_FOUND);
  const r = await create(b.tree, { name: '', contexts: [dh2c(id, guid)] });
  assert.equal(r.status, S.OK);
  await b.tree.close(r.res!.fileId);
  b.c.close();
});

test('DH2Q: the timeout is capped at the configured maximum; with another durable context it is INVALID_PARAMETER', async () => {
  const { c, tree } = await treeClient(s.f);
  const r = await create(tree, { name: 'capped.txt', oplockLevel: BATCH, contexts: [dh2q(0xffffffff, randomBytes(16), 0x2)] });
  assert.deepEqual(decodeDurableResponseV2(r.context('DH2Q')!), { timeout: DEFAULT_LIMITS.maxDurableOpenTimeoutMs, flags: 0 }, 'durable, not persistent');
  const bad = await create(tree, { name: 'capped.txt', oplockLevel: BATCH, contexts: [dh2q(0, randomBytes(16)), dhnq()] });
  assert.equal(bad.status, S.INVALID_PARAMETER);
  await tree.close(r.res!.fileId);
  c.close();
});

test('LOGOFF keeps a durable open for a reconnect; TREE_DISCONNECT closes it for good', async () => {
  const a = await treeClient(s.f);
  const kept = await durableOpen(a.tree, 'logoff.txt', dhnq());
  await a.c.logoff();
  a.c.close();
  const b = await treeClient(s.f);
  const r = await create(b.tree, { name: '', contexts: [dhnc(kept)] });
  assert.equal(r.status, S.OK);
  const closed = await durableOpen(b.tree, 'tdis.txt', dhnq());
  await b.c.treeDisconnect(b.tree.treeId);
  const tree2 = await b.c.treeConnect('share');
  assert.equal((await create(tree2, { name: '', contexts: [dhnc(closed)] })).status, S.NOT_FOUND);
  assert.equal((await create(tree2, { name: '', contexts: [dhnc(r.res!.fileId)] })).status, S.NOT_FOUND, 'the reclaimed open was closed with its tree too');
  b.c.close();
});

test('an open that conflicts with a disconnected durable open does not wait for a break nobody can acknowledge', async () => {
  const a = await treeClient(s.f);
  const id = await durableOpen(a.tree, 'contended.txt', dhnq());
  await drop(a.c);
  const b = await treeClient(s.f);
  const started = Date.now();
  const r = await create(b.tree, { name: 'contended.txt', desiredAccess: READ_WRITE, shareAccess: 0 });
  assert.equal(r.status, S.OK);
  assert.ok(Date.now() - started < 5000, 'well before the 35 s break timeout');
  assert.equal((await create(b.tree, { name: '', contexts: [dhnc(id)] })).status, S.NOT_FOUND, 'the break closed the durable open');
  await b.tree.close(r.res!.fileId);
  b.c.close();
});

test('a replayed DH2Q (SMB2_FLAGS_REPLAY_OPERATION) gets the open its CreateGuid made', async () => {
  const guid = randomBytes(16);
  const { c, tree } = await treeClient(s.f, 'share', { dialects: [0x0300] });
  const first = await durableOpen(tree, 'replay.txt', dh2q(0, guid));
  const replay = await create(tree, { name: 'replay.txt', oplockLevel: BATCH, desiredAccess: READ_WRITE, contexts: [dh2q(0, guid)] }, HeaderFlag.REPLAY_OPERATION);
  assert.equal(replay.status, S.OK);
  assert.deepEqual(replay.res!.fileId, first);
  assert.equal(replay.res!.createAction, 2, 'the replay answers what the CREATE did: CREATED');
  assert.equal(replay.res!.oplockLevel, BATCH, 'not broken by itself');
  await tree.close(first);
  c.close();
});

test('disconnected durable opens are bounded server-wide: past the cap they are closed', async () => {
  const capped = await server({ maxDisconnectedDurableOpens: 1 });
  try {
    const a = await treeClient(capped.f);
    const ids = [await durableOpen(a.tree, 'one.txt', dhnq()), await durableOpen(a.tree, 'two.txt', dhnq())];
    a.c.close();
    await waitFor('one open to be closed', () => capped.openFiles() === 1);
    const b = await treeClient(capped.f);
    const statuses = [];
    for (const id of ids) statuses.push((await create(b.tree, { name: '', contexts: [dhnc(id)] })).status);
    assert.deepEqual(statuses.sort(), [S.OK, S.NOT_FOUND]);
    b.c.close();
  } finally {
    await capped.f.close();
  }
});

test('a connection dropped while a break of its durable open awaits an acknowledgment closes that open, and the opener goes on', async () => {
  const a = await treeClient(s.f);
  const id = await durableOpen(a.tree, 'breaking.txt', dhnq());
  const b = await treeClient(s.f);
  const started = Date.now();
  const pending = create(b.tree, { name: 'breaking.txt', desiredAccess: READ_WRITE, shareAccess: 0 });
  await new Promise((r) => setTimeout(r, 100)); // the break reached `a`, which never acknowledges it
  await drop(a.c);
  const r = await pending;
  assert.equal(r.status, S.OK);
  assert.ok(Date.now() - started < 5000, 'not after the 35 s break timeout');
  assert.equal((await create(b.tree, { name: '', contexts: [dhnc(id)] })).status, S.NOT_FOUND);
  await b.tree.close(r.res!.fileId);
  b.c.close();
});

test('a durable open whose Batch oplock was broken to Level II is closed with its connection, not kept', async () => {
  const before = s.openFiles();
  const a = await breakClient(s.f);
  const created = await a.create(createBody({ name: 'downgraded.txt', oplockLevel: BATCH, desiredAccess: READ_WRITE, shareAccess: 7, contexts: [dhnq()] }));
  assert.equal(created.header.status, S.OK);
  const id = decodeCreateResponse(created.reader).fileId;
  const b = await treeClient(s.f);
  const reader = create(b.tree, { name: 'downgraded.txt', desiredAccess: 0x00120089, shareAccess: 7 });
  await a.notification(0); // the break to Level II
  assert.equal((await a.ack(oplockAckBody(0x01, fileIdOfCreateResponse(created.message)))).header.status, S.OK);
  const opened = await reader;
  assert.equal(opened.status, S.OK);
  await drop(a.c);
  assert.equal(s.openFiles(), before + 1, 'only the reader is left open');
  assert.equal((await create(b.tree, { name: '', contexts: [dhnc(id)] })).status, S.NOT_FOUND);
  await b.tree.close(opened.res!.fileId);
  b.c.close();
});

/** SMB2 LOCK request body, [MS-SMB2] 2.2.26: StructureSize 48, LockCount 1, LockSequence, FileId, one element. */
function lockBody(fileId: FileId, offset: number, length: number, flags: number, sequence: number): Buffer {
  const b = Buffer.alloc(48 + 24);
  b.writeUInt16LE(48, 0);
  b.writeUInt16LE(1, 2);
  b.writeUInt32LE(sequence, 4);
  b.writeBigUInt64LE(fileId.persistent, 8);
  b.writeBigUInt64LE(fileId.volatile, 16);
  b.writeBigUInt64LE(BigInt(offset), 24);
  b.writeBigUInt64LE(BigInt(length), 32);
  b.writeUInt32LE(flags, 40);
  return b;
}

test('LockSequence is checked for a durable open even without multichannel: a replayed LOCK is answered SUCCESS, not done again', async () => {
  const noMultichannel = await startServer({ interfaces: [] });
  try {
    const { c, tree } = await treeClient(noMultichannel);
    const EXCLUSIVE_NOW = 0x02 | 0x10;
    const lock = async (fileId: FileId, sequence: number) =>
      (await c.request(Command.LOCK, lockBody(fileId, 0, 10, EXCLUSIVE_NOW, sequence), { treeId: tree.treeId, allowError: true })).header.status;
    const durable = await durableOpen(tree, 'seq-durable.bin', dhnq());
    assert.equal(await lock(durable, 0x11), S.OK);
    assert.equal(await lock(durable, 0x11), S.OK, 'the same bucket and number: a replay');
    const plain = (await tree.create('seq-plain.bin', { desiredAccess: READ_WRITE, disposition: 3 /* OPEN_IF */ })).fileId;
    assert.equal(await lock(plain, 0x11), S.OK);
    assert.equal(await lock(plain, 0x11), 0xc0000055, 'a plain open without multichannel: not checked, so LOCK_NOT_GRANTED');
    c.close();
  } finally {
    await noMultichannel.close();
  }
});
