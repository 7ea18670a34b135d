/**
 * CHANGE_NOTIFY, [MS-SMB2] 3.3.5.19, against the in-process server over the real file system:
 * changes made by a local process (inotify) reach a waiting request, are queued between
 * requests, overflow into STATUS_NOTIFY_ENUM_DIR, and the request ends on CANCEL and CLOSE.
 * Requests and expected outputs are spelled out with support/notify-bytes.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { recordingClient, until } from '../support/recording-client.js';
import { changeNotifyBody, changeNotifyOutput, notifyInformation } from '../support/notify-bytes.js';
import { smb2Header } from '../support/server-pdus.js';
import { cat, le16 } from '../support/bytes.js';
import { Access, Command, CreateDisposition, CreateOption, HeaderFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { DEFAULT_LIMITS } from '../../server/options.js';
import type { FileId } from '../../smb2/commands/create.js';

/** FILE_NOTIFY_CHANGE_* and FILE_ACTION_*, [MS-SMB2] 2.2.35 and [MS-FSCC] 2.7.1. */
const FILE_NAME = 0x1;
const DIR_NAME = 0x2;
const ADDED = 1;
const REMOVED = 2;
const OLD_NAME = 4;
const NEW_NAME = 5;
const WATCH_TREE = 0x1;

let f: ServerFixture;
before(async () => {
  f = await startServer({ limits: { ...DEFAULT_LIMITS, maxNotifyWatchesPerTree: 4 } });
});
after(async () => {
  await f.close();
});

let dirs = 0;

async function client(open: { access?: number } = {}) {
  const r = await recordingClient(f);
  const tree = await r.c.treeConnect('share');
  const name = `watched-${++dirs}`;
  await mkdir(path.join(f.dir, name));
  const dir = (await tree.create(name, { createOptions: CreateOption.DIRECTORY_FILE, desiredAccess: open.access ?? Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES })).fileId;
  const notify = (o: { filter?: number; length?: number; flags?: number; fileId?: FileId } = {}) => {
    const id = o.fileId ?? dir;
    const body = changeNotifyBody({ flags: o.flags, outputBufferLength: o.length ?? 4096, persistent: id.persistent, volatile: id.volatile, filter: o.filter ?? FILE_NAME | DIR_NAME });
    return r.c.request(Command.CHANGE_NOTIFY, body, { treeId: tree.treeId, allowError: true });
  };
  const pending = () => until(() => r.seen.find((h) => h.command === Command.CHANGE_NOTIFY && h.status === Status.PENDING && !seenPending.has(h)), 400).then((h) => (seenPending.add(h), h));
  const seenPending = new Set<object>();
  const local = (...p: string[]) => path.join(f.dir, name, ...p);
  const output = (res: { message: Buffer }) => changeNotifyOutput(res.message.subarray(64), res.message);
  return { ...r, tree, dir, name, notify, pending, local, output };
}

test('a waiting CHANGE_NOTIFY completes with the file a local process creates', async () => {
  const x = await client();
  const waiting = x.notify();
  const interim = await x.pending();
  assert.ok(interim.flags & HeaderFlag.ASYNC_COMMAND);
  await writeFile(x.local('new.txt'), 'x');
  const res = await waiting;
  assert.equal(res.header.status, Status.SUCCESS);
  assert.equal(res.header.asyncId, interim.asyncId);
  assert.deepEqual(x.output(res), notifyInformation([[ADDED, 'new.txt']]));
  x.c.close();
});

test('changes while no request waits are queued and the next request returns them at once', async () => {
  const x = await client();
  const first = x.notify();
  await x.pending();
  await mkdir(x.local('d1'));
  assert.deepEqual(x.output(await first), notifyInformation([[ADDED, 'd1']]));
  await writeFile(x.local('a'), '');
  await rm(x.local('d1'), { recursive: true });
  await new Promise((r) => setTimeout(r, 50));
  const res = await x.notify();
  assert.equal(res.header.status, Status.SUCCESS);
  assert.ok(!(res.header.flags & HeaderFlag.ASYNC_COMMAND), 'answered without going async');
  assert.deepEqual(x.output(res), notifyInformation([[ADDED, 'a'], [REMOVED, 'd1']]));
  x.c.close();
});

test('a rename in the directory is one response with the old and the new name', async () => {
  const x = await client();
  await writeFile(x.local('before'), '');
  const waiting = x.notify();
  await x.pending();
  await rename(x.local('before'), x.local('after'));
  assert.deepEqual(x.output(await waiting), notifyInformation([[OLD_NAME, 'before'], [NEW_NAME, 'after']]));
  x.c.close();
});

test('WATCH_TREE reports changes beneath the directory with backslash paths, also in a subdirectory created later', async () => {
  const x = await client();
  await mkdir(x.local('old'));
  const first = x.notify({ flags: WATCH_TREE });
  await x.pending();
  await mkdir(x.local('new'));
  assert.deepEqual(x.output(await first), notifyInformation([[ADDED, 'new']]));
  const second = x.notify({ flags: WATCH_TREE });
  await x.pending();
  await writeFile(x.local('new', 'inner.txt'), '');
  assert.deepEqual(x.output(await second), notifyInformation([[ADDED, 'new\\inner.txt']]));
  await writeFile(x.local('old', 'deep.txt'), '');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(x.output(await x.notify({ flags: WATCH_TREE })), notifyInformation([[ADDED, 'old\\deep.txt']]));
  x.c.close();
});

test('WATCH_TREE follows directories created faster than their events are read (mkdir -p)', async () => {
  const x = await client();
  const first = x.notify({ flags: WATCH_TREE, filter: FILE_NAME });
  await x.pending();
  await mkdir(x.local('a', 'b', 'c'), { recursive: true });
  await new Promise((r) => setTimeout(r, 100));
  await writeFile(x.local('a', 'b', 'c', 'f'), '');
  assert.deepEqual(x.output(await first), notifyInformation([[ADDED, 'a\\b\\c\\f']]));
  x.c.close();
});

test('without WATCH_TREE a change beneath a subdirectory is not reported', async () => {
  const x = await client();
  await mkdir(x.local('sub'));
  const waiting = x.notify();
  await x.pending();
  await writeFile(x.local('sub', 'hidden.txt'), '');
  await writeFile(x.local('shown.txt'), '');
  assert.deepEqual(x.output(await waiting), notifyInformation([[ADDED, 'shown.txt']]));
  x.c.close();
});

test('more changes than the first request could take give STATUS_NOTIFY_ENUM_DIR, then it starts again', async () => {
  const x = await client();
  const first = x.notify({ length: 64 });
  await x.pending();
  await writeFile(x.local('one'), '');
  assert.deepEqual(x.output(await first), notifyInformation([[ADDED, 'one']]));
  for (let i = 0; i < 8; i++) await writeFile(x.local(`file-${i}`), '');
  await new Promise((r) => setTimeout(r, 50));
  const overflowed = await x.notify({ length: 64 });
  assert.equal(overflowed.header.status, Status.NOTIFY_ENUM_DIR);
  const next = x.notify({ length: 64 });
  await x.pending();
  await writeFile(x.local('later'), '');
  assert.deepEqual(x.output(await next), notifyInformation([[ADDED, 'later']]));
  x.c.close();
});

test('CANCEL ends a waiting request with STATUS_CANCELLED, CLOSE with STATUS_NOTIFY_CLEANUP', async () => {
  const x = await client();
  const cancelled = x.notify();
  const interim = await x.pending();
  const cancel = cat(smb2Header({ command: Command.CANCEL, messageId: 0, flags: HeaderFlag.ASYNC_COMMAND, sessionId: x.c.sessionId }), le16(4), le16(0));
  cancel.writeBigUInt64LE(interim.asyncId, 32);
  await x.send(cancel);
  assert.equal((await cancelled).header.status, Status.CANCELLED);
  const closed = x.notify();
  await x.pending();
  await x.tree.close(x.dir);
  assert.equal((await closed).header.status, Status.NOTIFY_CLEANUP);
  x.c.close();
});

test('a CANCEL with MessageId 0 sent right after its request (as Samba 4.17 sends one) cancels that request', async () => {
  const x = await client();
  x.hold();
  const waiting = x.notify();
  await until(() => (x.held.length > 0 ? true : undefined), 100);
  const cancel = cat(smb2Header({ command: Command.CANCEL, messageId: 0, sessionId: x.c.sessionId, treeId: x.tree.treeId }), le16(4), le16(0));
  x.release(cancel);
  const res = await Promise.race([waiting, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  assert.equal(res?.header.status, Status.CANCELLED);
  x.c.close();
});

test('TREE_DISCONNECT and LOGOFF end waiting requests with STATUS_NOTIFY_CLEANUP', async () => {
  const x = await client();
  const byTree = x.notify();
  await x.pending();
  await x.c.request(Command.TREE_DISCONNECT, cat(le16(4), le16(0)), { treeId: x.tree.treeId });
  assert.equal((await byTree).header.status, Status.NOTIFY_CLEANUP);
  const y = await client();
  const byLogoff = y.notify();
  await y.pending();
  await y.c.logoff();
  assert.equal((await byLogoff).header.status, Status.NOTIFY_CLEANUP);
  x.c.close();
  y.c.close();
});

test('invalid requests: a file handle, a buffer past MaxTransactSize, a handle without FILE_LIST_DIRECTORY', async () => {
  const x = await client();
  await writeFile(path.join(f.dir, 'plain.txt'), '');
  const file = (await x.tree.create('plain.txt', { desiredAccess: Access.FILE_READ_DATA })).fileId;
  assert.equal((await x.notify({ fileId: file })).header.status, Status.INVALID_PARAMETER);
  assert.equal((await x.notify({ length: f.server.core.options.maxIoSize + 1 })).header.status, Status.INVALID_PARAMETER);
  const y = await client({ access: Access.FILE_READ_ATTRIBUTES });
  assert.equal((await y.notify()).header.status, Status.ACCESS_DENIED);
  x.c.close();
  y.c.close();
});

test('a WATCH_TREE over more directories than the per-tree watch limit gets STATUS_NOTIFY_ENUM_DIR', async () => {
  const x = await client();
  for (let i = 0; i < 6; i++) await mkdir(x.local(`sub-${i}`));
  const first = x.notify({ flags: WATCH_TREE });
  const res = await Promise.race([first, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  assert.ok(res, 'answered without any change');
  assert.equal(res.header.status, Status.NOTIFY_ENUM_DIR);
  assert.ok(f.server.core.changeNotify.watchCount <= DEFAULT_LIMITS.maxNotifyWatches);
  x.c.close();
});

test('a directory that becomes delete-pending ends the other handle\'s waiting request with STATUS_DELETE_PENDING', async () => {
  const x = await client();
  const waiting = x.notify();
  await x.pending();
  const victim = await x.tree.create(x.name, { createOptions: CreateOption.DIRECTORY_FILE | CreateOption.DELETE_ON_CLOSE, desiredAccess: Access.DELETE | Access.FILE_READ_ATTRIBUTES, disposition: CreateDisposition.OPEN });
  await x.tree.close(victim.fileId);
  assert.equal((await waiting).header.status, Status.DELETE_PENDING);
  x.c.close();
});

test('closing handles while their WATCH_TREE walks run: each walk ends quietly, nothing reads through a closed descriptor', async () => {
  const g = await startServer();
  const rejections: unknown[] = [];
  const onRejection = (err: unknown) => void rejections.push(err);
  process.on('unhandledRejection', onRejection);
  try {
    const top = path.join(g.dir, 'wide');
    for (let i = 0; i < 64; i++) await mkdir(path.join(top, `d${i}`, 'e', 'f'), { recursive: true });
    const r = await recordingClient(g);
    const tree = await r.c.treeConnect('share');
    for (let round = 0; round < 20; round++) {
      const dir = (await tree.create('wide', { createOptions: CreateOption.DIRECTORY_FILE, desiredAccess: Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES })).fileId;
      const body = changeNotifyBody({ flags: WATCH_TREE, outputBufferLength: 4096, persistent: dir.persistent, volatile: dir.volatile, filter: FILE_NAME | DIR_NAME });
      const waiting = r.c.request(Command.CHANGE_NOTIFY, body, { treeId: tree.treeId, allowError: true });
      await tree.close(dir); // while the walk of 192 directories is under way
      assert.equal((await waiting).header.status, Status.NOTIFY_CLEANUP);
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // walks that were still reading end
    assert.deepEqual(rejections, []);
    assert.equal(g.server.core.changeNotify.watchCount, 0, 'no watch left behind');
    r.c.close();
  } finally {
    process.off('unhandledRejection', onRejection);
    await g.close();
  }
});

test('setting attributes Linux does not keep (HIDDEN) on a file is still reported as its attribute change', { timeout: 10_000 }, async () => {
  const x = await client();
  await writeFile(x.local('tname1'), 'x');
  const ATTRIBUTES = 0x4;
  const MODIFIED = 3;
  const waiting = x.notify({ filter: ATTRIBUTES });
  await x.pending();
  const h = (await x.tree.create(`${x.name}\\tname1`, { desiredAccess: Access.FILE_WRITE_ATTRIBUTES })).fileId;
  // [MS-FSCC] 2.4.7 FileBasicInformation: four times left unchanged (0), FileAttributes HIDDEN (0x2), 4 reserved bytes.
  const basic = cat(Buffer.alloc(32), Buffer.from([0x02, 0, 0, 0]), Buffer.alloc(4));
  await x.tree.setInfo(h, 1 /* SMB2_0_INFO_FILE */, 4 /* FileBasicInformation */, basic);
  await x.tree.close(h);
  const res = await waiting;
  assert.equal(res.header.status, Status.SUCCESS);
  assert.deepEqual(x.output(res), notifyInformation([[MODIFIED, 'tname1']]));
  x.c.close();
});
