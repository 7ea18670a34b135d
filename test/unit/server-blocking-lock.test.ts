/** A LOCK without FAIL_IMMEDIATELY on a held range waits as an async request, [MS-SMB2] 3.3.5.14.2 and 3.3.4.2. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { le16, le64 } from '../support/bytes.js';
import { smb2Header } from '../support/server-pdus.js';
import { Access, Command, HeaderFlag, LockFlag, RELATED_FILE_ID } from '../../smb2/constants.js';
import { encodeEchoRequest } from '../../smb2/commands/echo.js';
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

const lockBody = (fileId: FileId, flags: number) => encodeLockRequest({ lockSequence: 0, fileId, locks: [{ offset: 0n, length: 10n, flags }] });

async function client() {
  const r = await recordingClient(f);
  const tree = await r.c.treeConnect('share');
  const open = async () => (await tree.create('blocking.bin', { desiredAccess: Access.FILE_READ_DATA | Access.FILE_WRITE_DATA })).fileId;
  const opts = { treeId: tree.treeId, sessionId: r.c.sessionId };
  const lock = (fileId: FileId, flags: number) => r.c.request(Command.LOCK, lockBody(fileId, flags), { ...opts, allowError: true });
  /** Requests as one compound; the promise gives each one's final response. */
  const compound = (requests: Array<{ command: number; body: Buffer }>, related: boolean) => r.c.conn.compound(requests.map((q) => ({ ...q, opts })), related);
  /** Two opens of the file; `a` holds the range with `how` (exclusive by default), `b` is free to wait for it. */
  const heldRange = async (how: number = LockFlag.EXCLUSIVE) => {
    const a = await open();
    const b = await open();
    assert.equal((await lock(a, how | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.SUCCESS);
    return { a, b };
  };
  /** Close both opens and the connection. */
  const done = async (a: FileId, b: FileId) => {
    await tree.close(a);
    await tree.close(b);
    r.c.close();
  };
  return { ...r, tree, open, lock, compound, heldRange, done };
}

/** Within 2 s. */
const soon = <T>(get: () => T | undefined): Promise<T> => until(get, 400);

const pendingLock = (seen: Smb2Header[]) => () => seen.find((h) => h.command === Command.LOCK && h.status === Status.PENDING);

test('a blocking LOCK on a held range goes pending and is granted when the holder unlocks', async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  const interim = await soon(pendingLock(x.seen));
  assert.ok(interim.flags & HeaderFlag.ASYNC_COMMAND);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  const final = (await waiting).header;
  assert.equal(final.status, Status.SUCCESS);
  assert.equal(final.asyncId, interim.asyncId);
  assert.equal((await x.lock(a, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED, 'b holds it now');
  await x.done(a, b);
});

test('a blocking LOCK is granted when the holding open closes', async () => {
  const x = await client();
  const { a, b } = await x.heldRange(LockFlag.SHARED);
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  await soon(pendingLock(x.seen));
  await x.tree.close(a);
  assert.equal((await waiting).header.status, Status.SUCCESS);
  await x.tree.close(b);
  x.c.close();
});

test('CANCEL of a blocking LOCK answers it with STATUS_CANCELLED and leaves the range to its holder', async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  const interim = await soon(pendingLock(x.seen));
  const cancel = smb2Header({ command: Command.CANCEL, messageId: interim.messageId, sessionId: interim.sessionId, flags: HeaderFlag.ASYNC_COMMAND, creditCharge: 0, credits: 0 });
  le64(interim.asyncId).copy(cancel, 32);
  await x.send(Buffer.concat([cancel, le16(4), le16(0)]));
  assert.equal((await waiting).header.status, Status.CANCELLED);
  assert.equal((await x.lock(b, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  assert.equal((await x.lock(b, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.SUCCESS, 'the cancelled wait took nothing');
  await x.done(a, b);
});

test('with FAIL_IMMEDIATELY a conflicting LOCK is still refused at once', async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  assert.equal((await x.lock(b, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED);
  assert.equal(x.seen.filter((h) => h.status === Status.PENDING).length, 0);
  await x.done(a, b);
});

function cancelByMessageId(h: { messageId: bigint; sessionId: bigint }): Buffer {
  return Buffer.concat([smb2Header({ command: Command.CANCEL, messageId: h.messageId, sessionId: h.sessionId, creditCharge: 0, credits: 0 }), le16(4), le16(0)]);
}

test('a CANCEL by MessageId that arrives with the LOCK (one read, before the LOCK went async) still cancels it', { timeout: 10_000 }, async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  x.hold();
  const waiting = x.lock(b, LockFlag.EXCLUSIVE);
  const [held] = await soon(() => (x.held.length ? x.held : undefined));
  x.release(cancelByMessageId({ messageId: held.readBigUInt64LE(24), sessionId: x.c.sessionId }));
  const final = (await waiting).header;
  assert.equal(final.status, Status.CANCELLED);
  assert.equal(final.flags & HeaderFlag.ASYNC_COMMAND, 0, 'answered at once, not as an async request');
  assert.equal(x.seen.filter((h) => h.status === Status.PENDING).length, 0);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  assert.equal((await x.lock(b, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.SUCCESS, 'the cancelled LOCK took nothing');
  await x.done(a, b);
});

test('a blocking LOCK that is not last in an unrelated compound gets an interim response in the compound reply; the rest is answered at once', { timeout: 10_000 }, async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  const finals = x.compound([{ command: Command.LOCK, body: lockBody(b, LockFlag.EXCLUSIVE) }, { command: Command.ECHO, body: encodeEchoRequest() }], false);
  const reply = await soon(() => x.replies.find((r) => r.length === 2));
  assert.equal(reply[0].command, Command.LOCK);
  assert.equal(reply[0].status, Status.PENDING);
  assert.ok(reply[0].flags & HeaderFlag.ASYNC_COMMAND);
  assert.notEqual(reply[0].asyncId, 0n);
  assert.equal(reply[1].command, Command.ECHO);
  assert.equal(reply[1].status, Status.SUCCESS);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  const [lockFinal, echo] = await finals;
  assert.equal(lockFinal.header.status, Status.SUCCESS);
  assert.equal(lockFinal.header.asyncId, reply[0].asyncId);
  assert.equal(echo.header.status, Status.SUCCESS);
  await x.done(a, b);
});

test('in a related compound the elements after a blocking LOCK get interim responses and run in order once it is granted', { timeout: 10_000 }, async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  // LOCK b (waits for a), then UNLOCK on the related FileId: it succeeds only if it runs after the LOCK was granted.
  const finals = x.compound([{ command: Command.LOCK, body: lockBody(b, LockFlag.EXCLUSIVE) }, { command: Command.LOCK, body: lockBody({ persistent: RELATED_FILE_ID, volatile: RELATED_FILE_ID }, LockFlag.UNLOCK) }], true);
  const reply = await soon(() => x.replies.find((r) => r.length === 2));
  assert.deepEqual(reply.map((h) => h.status), [Status.PENDING, Status.PENDING]);
  assert.ok(reply.every((h) => h.flags & HeaderFlag.ASYNC_COMMAND));
  assert.notEqual(reply[0].asyncId, reply[1].asyncId);
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  const [locked, unlocked] = await finals;
  assert.equal(locked.header.status, Status.SUCCESS);
  assert.equal(unlocked.header.status, Status.SUCCESS);
  assert.equal(unlocked.header.asyncId, reply[1].asyncId);
  const order = x.seen.filter((h) => h.command === Command.LOCK && h.status !== Status.PENDING && (h.asyncId === reply[0].asyncId || h.asyncId === reply[1].asyncId));
  assert.deepEqual(order.map((h) => h.asyncId), [reply[0].asyncId, reply[1].asyncId], 'finals in request order');
  assert.equal((await x.lock(a, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.SUCCESS, 'the related UNLOCK freed the range');
  await x.done(a, b);
});

test('CANCEL of a related element that waits behind a blocking LOCK answers it STATUS_CANCELLED without running it', { timeout: 10_000 }, async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  const finals = x.compound([{ command: Command.LOCK, body: lockBody(b, LockFlag.EXCLUSIVE) }, { command: Command.LOCK, body: lockBody({ persistent: RELATED_FILE_ID, volatile: RELATED_FILE_ID }, LockFlag.UNLOCK) }], true);
  const reply = await soon(() => x.replies.find((r) => r.length === 2));
  const cancel = smb2Header({ command: Command.CANCEL, messageId: 0n, sessionId: x.c.sessionId, flags: HeaderFlag.ASYNC_COMMAND, creditCharge: 0, credits: 0 });
  le64(reply[1].asyncId).copy(cancel, 32);
  await x.send(Buffer.concat([cancel, le16(4), le16(0)]));
  assert.equal((await x.lock(a, LockFlag.UNLOCK)).header.status, Status.SUCCESS);
  const [locked, unlock] = await finals;
  assert.equal(locked.header.status, Status.SUCCESS);
  assert.equal(unlock.header.status, Status.CANCELLED);
  assert.equal((await x.lock(a, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY)).header.status, Status.LOCK_NOT_GRANTED, 'b still holds the range: the UNLOCK did not run');
  await x.done(a, b);
});

test('a connection holds at most 512 async requests: past that a blocking LOCK is refused at once; closing the connection gives them all up', { timeout: 30_000 }, async () => {
  const x = await client();
  const { a, b } = await x.heldRange();
  const waiting = Array.from({ length: 512 }, () => x.lock(b, LockFlag.EXCLUSIVE).catch(() => undefined));
  await until(() => (x.seen.filter((h) => h.status === Status.PENDING).length === 512 ? true : undefined), 2000);
  assert.equal((await x.lock(b, LockFlag.EXCLUSIVE)).header.status, Status.LOCK_NOT_GRANTED);
  assert.equal(x.seen.filter((h) => h.status === Status.PENDING).length, 512);
  x.c.close();
  await Promise.all(waiting);
  // The server gave them up: a fresh connection locks the range once the holder's connection is gone.
  const y = await client();
  const c = await y.open();
  let status = 0;
  for (let i = 0; i < 200 && status !== Status.SUCCESS; i++) {
    status = (await y.lock(c, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY)).header.status;
    if (status !== Status.SUCCESS) await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(status, Status.SUCCESS);
  await y.tree.close(c);
  y.c.close();
});
