/** A LOCK without FAIL_IMMEDIATELY on a held range waits as an async request, [MS-SMB2] 3.3.5.14.2 and 3.3.4.2. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { le16, le64 } from '../support/bytes.js';
import { smb2Header } from '../support/server-pdus.js';
import { Access, Command, HeaderFlag, LockFlag } from '../../smb2/constants.js';
import { type Smb2Header } from '../../smb2/header.js';
import { Status } from '../../smb2/status.js';
import { encodeLockRequest } from '../../smb2/commands/lock.js';
import type { FileId } from '../../smb2/commands/create.js';
import { recordingClient, until } from '../support/recording-client.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
  await writeFile(path.join(f.dir, 'blocking.bin'), Buffer.alloc(100));
});
after(async () => {
  await f.close();
});

async function client() {
  const { c, seen, send } = await recordingClient(f);
  const tree = await c.treeConnect('share');
  const open = async () => (await tree.create('blocking.bin', { desiredAccess: Access.FILE_READ_DATA | Access.FILE_WRITE_DATA })).fileId;
  const lock = (fileId: FileId, flags: number) =>
    c.request(Command.LOCK, encodeLockRequest({ lockSequence: 0, fileId, locks: [{ offset: 0n, length: 10n, flags }] }), { treeId: tree.treeId, allowError: true });
  return { c, tree, seen, open, lock, send };
}

/** Within 2 s. */
const soon = <T>(get: () => T | undefined): Promise<T> => until(get, 400);

const pendingLock = (seen: Smb2Header[]) => () => seen.find((h) => h.command === Command.LOCK && h.status === Status.PENDING);

test('a blocking LOCK on a held range goes pending and is granted when the holder unlocks', async () => {
  const x = await client();
  const a = await x.open();
  const b = await x.open();
  assert.equal((await x.lock(a, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.SUCCESS);
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  const interim = await soon(pendingLock(x.seen));
  assert.ok(interim.flags & HeaderFlag.ASYNC_COMMAND);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  const final = (await waiting).header;
  assert.equal(final.status, Status.SUCCESS);
  assert.equal(final.asyncId, interim.asyncId);
  assert.equal((await x.lock(a, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED, 'b holds it now');
  await x.tree.close(a);
  await x.tree.close(b);
  x.c.close();
});

test('a blocking LOCK is granted when the holding open closes', async () => {
  const x = await client();
  const a = await x.open();
  const b = await x.open();
  await x.lock(a, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY);
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  await soon(pendingLock(x.seen));
  await x.tree.close(a);
  assert.equal((await waiting).header.status, Status.SUCCESS);
  await x.tree.close(b);
  x.c.close();
});

test('CANCEL of a blocking LOCK answers it with STATUS_CANCELLED and leaves the range to its holder', async () => {
  const x = await client();
  const a = await x.open();
  const b = await x.open();
  await x.lock(a, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY);
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  const interim = await soon(pendingLock(x.seen));
  const cancel = smb2Header({ command: Command.CANCEL, messageId: interim.messageId, sessionId: interim.sessionId, flags: HeaderFlag.ASYNC_COMMAND, creditCharge: 0, credits: 0 });
  le64(interim.asyncId).copy(cancel, 32);
  await x.send(Buffer.concat([cancel, le16(4), le16(0)]));
  assert.equal((await waiting).header.status, Status.CANCELLED);
  assert.equal((await x.lock(b, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  assert.equal((await x.lock(b, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.SUCCESS, 'the cancelled wait took nothing');
  await x.tree.close(a);
  await x.tree.close(b);
  x.c.close();
});

test('with FAIL_IMMEDIATELY a conflicting LOCK is still refused at once', async () => {
  const x = await client();
  const a = await x.open();
  const b = await x.open();
  await x.lock(a, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY);
  assert.equal((await x.lock(b, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED);
  assert.equal(x.seen.filter((h) => h.status === Status.PENDING).length, 0);
  await x.tree.close(a);
  await x.tree.close(b);
  x.c.close();
});
