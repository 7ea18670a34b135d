// Byte-range locks as a client sees them ([MS-SMB2] 3.3.5.14, [MS-FSA] 2.1.4.10/2.1.5.8/2.1.5.9):
// READ and WRITE from other opens refused with FILE_LOCK_CONFLICT, shared locks refusing every
// write, zero-length and end-of-space ranges, request validation, unlock order, all-or-none lock
// requests and LockSequence replays. LOCK bodies are spelled out with support/bytes.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { loggedInClient } from '../support/logged-in-client.js';
import { cat, le16, le32, le64 } from '../support/bytes.js';
import { SmbError } from '../../client/connection.js';
import type { Tree } from '../../client/tree.js';
import type { FileId } from '../../smb2/commands/create.js';
import { Access, Command, Dialect, LockFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';

const { SHARED, EXCLUSIVE, UNLOCK, FAIL_IMMEDIATELY: NOW } = LockFlag;
const MAX = (1n << 64n) - 1n;

let f: ServerFixture;
before(async () => {
  f = await startServer();
});
after(async () => {
  await f.close();
});

interface El {
  offset: bigint;
  length: bigint;
  flags: number;
}

/** SMB2 LOCK request body, [MS-SMB2] 2.2.26: StructureSize 48, LockCount, LockSequence, FileId, then 24-byte elements. */
function lockBody(fileId: FileId, elements: El[], sequence = 0, count = elements.length): Buffer {
  const els = elements.map((e) => cat(le64(e.offset), le64(e.length), le32(e.flags), le32(0)));
  return cat(le16(48), le16(count), le32(sequence), le64(fileId.persistent), le64(fileId.volatile), ...(els.length ? els : [Buffer.alloc(24)]));
}

const el = (offset: number | bigint, length: number | bigint, flags: number): El => ({ offset: BigInt(offset), length: BigInt(length), flags });

async function session(dialects = [Dialect.SMB3_1_1]) {
  const c = await loggedInClient(f, { dialects });
  const tree = await c.treeConnect('share');
  const lock = async (fileId: FileId, elements: El[], sequence = 0, count?: number): Promise<number> => {
    const r = await c.request(Command.LOCK, lockBody(fileId, elements, sequence, count), { treeId: tree.treeId, allowError: true });
    return r.header.status;
  };
  return { c, tree, lock };
}

async function statusOf(op: Promise<unknown>): Promise<number> {
  try {
    await op;
    return Status.SUCCESS;
  } catch (err) {
    if (err instanceof SmbError) return err.status;
    throw err;
  }
}

/** A 200-byte file of 'x' and two opens of it with read and write access. */
async function twoOpens(tree: Tree, name: string): Promise<{ a: FileId; b: FileId }> {
  await writeFile(path.join(f.dir, name), Buffer.alloc(200, 'x'));
  const access = { desiredAccess: Access.FILE_READ_DATA | Access.FILE_WRITE_DATA };
  return { a: (await tree.create(name, access)).fileId, b: (await tree.create(name, access)).fileId };
}

test('an exclusive lock refuses READ and WRITE of other opens with FILE_LOCK_CONFLICT, not its own; unlock lets them in', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'rw-exclusive.bin');
  assert.equal(await lock(a, [el(50, 100, EXCLUSIVE | NOW)]), Status.SUCCESS);
  assert.equal(await statusOf(tree.read(b, 100, 10)), Status.FILE_LOCK_CONFLICT);
  assert.equal(await statusOf(tree.read(b, 0, 51)), Status.FILE_LOCK_CONFLICT, 'one byte inside is enough');
  assert.equal(await statusOf(tree.write(b, 149, Buffer.from('B'))), Status.FILE_LOCK_CONFLICT);
  assert.equal((await tree.read(b, 0, 50)).length, 50, 'the bytes before the lock');
  assert.equal((await tree.read(b, 150, 50)).length, 50, 'the bytes after it');
  assert.equal(await statusOf(tree.read(b, 100, 0)), Status.SUCCESS, 'a zero-byte READ never conflicts');
  assert.equal(await tree.write(a, 60, Buffer.from('A')), 1, 'the holder writes');
  assert.equal((await tree.read(a, 60, 1)).toString(), 'A', 'and reads');
  assert.equal((await readFile(path.join(f.dir, 'rw-exclusive.bin'))).subarray(149, 150).toString(), 'x', 'the refused WRITE changed nothing');
  assert.equal(await lock(a, [el(50, 100, UNLOCK)]), Status.SUCCESS);
  assert.equal(await tree.write(b, 149, Buffer.from('B')), 1);
  assert.equal((await tree.read(b, 149, 1)).toString(), 'B');
  c.close();
});

test('a shared lock lets every open read and no open write, its own included', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'rw-shared.bin');
  assert.equal(await lock(a, [el(0, 100, SHARED | NOW)]), Status.SUCCESS);
  assert.equal(await lock(b, [el(50, 100, SHARED | NOW)]), Status.SUCCESS, 'shared locks overlap');
  assert.equal((await tree.read(a, 0, 100)).length, 100);
  assert.equal((await tree.read(b, 0, 100)).length, 100);
  assert.equal(await statusOf(tree.write(a, 10, Buffer.from('A'))), Status.FILE_LOCK_CONFLICT);
  assert.equal(await statusOf(tree.write(b, 10, Buffer.from('B'))), Status.FILE_LOCK_CONFLICT);
  assert.equal(await tree.write(a, 160, Buffer.from('A')), 1, 'past both locks');
  assert.equal(await lock(a, [el(0, 10, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED, 'an exclusive lock over a shared one, even its own');
  c.close();
});

test('the same open stacks a shared lock on its exclusive one; unlock takes the exclusive first', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'stacking.bin');
  assert.equal(await lock(a, [el(0, 10, EXCLUSIVE | NOW)]), Status.SUCCESS);
  assert.equal(await lock(a, [el(0, 10, SHARED | NOW)]), Status.SUCCESS);
  assert.equal(await lock(a, [el(0, 10, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED, 'two exclusive locks do not stack');
  assert.equal(await lock(b, [el(5, 1, SHARED | NOW)]), Status.LOCK_NOT_GRANTED);
  assert.equal(await lock(a, [el(0, 10, UNLOCK)]), Status.SUCCESS);
  assert.equal(await lock(b, [el(5, 1, SHARED | NOW)]), Status.SUCCESS, 'only the shared lock is left');
  assert.equal(await lock(a, [el(0, 10, UNLOCK)]), Status.SUCCESS);
  assert.equal(await lock(a, [el(0, 10, UNLOCK)]), Status.RANGE_NOT_LOCKED);
  c.close();
});

test('zero-length locks conflict only with ranges around their offset; {0, 0} with nothing', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'zero.bin');
  assert.equal(await lock(a, [el(10, 0, EXCLUSIVE | NOW)]), Status.SUCCESS);
  for (const [offset, length, want] of [[10, 0, Status.SUCCESS], [9, 1, Status.SUCCESS], [10, 1, Status.SUCCESS], [9, 2, Status.LOCK_NOT_GRANTED], [9, 3, Status.LOCK_NOT_GRANTED]] as const) {
    const got = await lock(b, [el(offset, length, EXCLUSIVE | NOW)]);
    assert.equal(got, want, `{${offset}, ${length}}`);
    if (got === Status.SUCCESS) assert.equal(await lock(b, [el(offset, length, UNLOCK)]), Status.SUCCESS);
  }
  assert.equal(await statusOf(tree.read(b, 9, 2)), Status.FILE_LOCK_CONFLICT, 'a READ over the offset');
  assert.equal((await tree.read(b, 10, 5)).length, 5, 'a READ starting at it');
  assert.equal(await lock(a, [el(0, 0, EXCLUSIVE | NOW)]), Status.SUCCESS);
  assert.equal(await lock(b, [el(0, 0, EXCLUSIVE | NOW)]), Status.SUCCESS, '{0, 0} overlaps nothing');
  c.close();
});

test('ranges at the end of the 64-bit space: the last byte locks, one byte past it is INVALID_LOCK_RANGE', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'end.bin');
  assert.equal(await lock(a, [el(MAX, 1, EXCLUSIVE | NOW)]), Status.SUCCESS);
  assert.equal(await lock(b, [el(MAX, 1, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED);
  assert.equal(await lock(b, [el(MAX - 1n, 1, EXCLUSIVE | NOW)]), Status.SUCCESS, 'the byte before is free');
  assert.equal(await lock(b, [el(MAX, 2, EXCLUSIVE | NOW)]), Status.INVALID_LOCK_RANGE);
  assert.equal(await lock(b, [el(MAX, MAX, EXCLUSIVE | NOW)]), Status.INVALID_LOCK_RANGE);
  assert.equal(await lock(b, [el(MAX, 0, EXCLUSIVE | NOW)]), Status.SUCCESS, 'zero bytes at the last offset');
  assert.equal(await lock(a, [el(1n << 63n, 1n << 62n, SHARED | NOW)]), Status.SUCCESS);
  assert.equal(await lock(b, [el((1n << 63n) - 1n, 2, SHARED | NOW)]), Status.SUCCESS, 'shared over shared');
  assert.equal(await lock(b, [el((1n << 63n) - 1n, 2, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED);
  c.close();
});

test('invalid requests: no elements, bad flags, UNLOCK mixed with locks, several elements that may block', async () => {
  const { c, tree, lock } = await session();
  const { a } = await twoOpens(tree, 'valid.bin');
  assert.equal(await lock(a, [], 0, 0), Status.INVALID_PARAMETER, 'LockCount 0');
  assert.equal(await lock(a, [el(0, 1, 0)]), Status.INVALID_PARAMETER, 'no flag');
  assert.equal(await lock(a, [el(0, 1, SHARED | EXCLUSIVE | NOW)]), Status.INVALID_PARAMETER);
  assert.equal(await lock(a, [el(0, 1, 0x20 | EXCLUSIVE)]), Status.INVALID_PARAMETER, 'an undefined bit');
  assert.equal(await lock(a, [el(0, 1, UNLOCK | EXCLUSIVE)]), Status.INVALID_PARAMETER);
  assert.equal(await lock(a, [el(0, 1, UNLOCK | NOW)]), Status.INVALID_PARAMETER);
  assert.equal(await lock(a, [el(0, 1, SHARED | NOW), el(5, 1, SHARED)]), Status.INVALID_PARAMETER, 'two elements, one blocking');
  assert.equal(await lock(a, [el(0, 1, EXCLUSIVE | NOW), el(5, 1, UNLOCK)]), Status.INVALID_PARAMETER);
  assert.equal(await lock(a, [el(0, 1, UNLOCK)]), Status.RANGE_NOT_LOCKED, 'nothing was locked by the refused requests');
  const wrong = { persistent: a.persistent, volatile: a.volatile + 1000n };
  assert.equal(await lock(wrong, [el(0, 1, 0)]), Status.FILE_CLOSED, 'the handle is checked before the flags');
  c.close();
});

test('a lock request is all or none; an unlock request stops at its first failure and keeps what it unlocked', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'multi.bin');
  assert.equal(await lock(b, [el(10, 10, EXCLUSIVE | NOW)]), Status.SUCCESS);
  assert.equal(await lock(a, [el(0, 10, EXCLUSIVE | NOW), el(10, 10, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED);
  assert.equal(await lock(b, [el(0, 10, EXCLUSIVE | NOW)]), Status.SUCCESS, 'the first element was rolled back');
  assert.equal(await lock(a, [el(30, 10, EXCLUSIVE | NOW), el(35, 1, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED, 'an element conflicting with an earlier one');
  assert.equal(await lock(a, [el(30, 10, UNLOCK)]), Status.RANGE_NOT_LOCKED);
  assert.equal(await lock(b, [el(0, 10, UNLOCK), el(50, 10, UNLOCK), el(10, 10, UNLOCK)]), Status.RANGE_NOT_LOCKED);
  assert.equal(await lock(a, [el(0, 10, EXCLUSIVE | NOW)]), Status.SUCCESS, 'the first unlock stayed done');
  assert.equal(await lock(a, [el(10, 10, EXCLUSIVE | NOW)]), Status.LOCK_NOT_GRANTED, 'the third was never tried');
  c.close();
});

test('locks go with their open: CLOSE frees them for the others', async () => {
  const { c, tree, lock } = await session();
  const { a, b } = await twoOpens(tree, 'close.bin');
  assert.equal(await lock(a, [el(0, 8, SHARED | NOW)]), Status.SUCCESS);
  assert.equal(await lock(a, [el(100, 8, EXCLUSIVE | NOW)]), Status.SUCCESS);
  await tree.close(a);
  assert.equal(await tree.write(b, 0, Buffer.from('free')), 4);
  assert.equal(await lock(b, [el(100, 8, EXCLUSIVE | NOW)]), Status.SUCCESS);
  c.close();
});

test('LockSequence: on SMB 3 with multichannel a repeated bucket and number is a replay, answered SUCCESS and not done again', async () => {
  const { c, tree, lock } = await session();
  const { a } = await twoOpens(tree, 'replay.bin');
  const seq = (bucket: number, n: number) => (bucket << 4) | n;
  assert.equal(await lock(a, [el(100, 100, EXCLUSIVE | NOW)], seq(1, 1)), Status.SUCCESS);
  assert.equal(await lock(a, [el(100, 100, EXCLUSIVE | NOW)], seq(1, 1)), Status.SUCCESS, 'replay');
  assert.equal(await lock(a, [el(100, 100, UNLOCK)], seq(1, 1)), Status.SUCCESS, 'replay: ignored, still locked');
  assert.equal(await lock(a, [el(100, 100, EXCLUSIVE | NOW)], seq(1, 2)), Status.LOCK_NOT_GRANTED, 'a new number is done');
  assert.equal(await lock(a, [el(100, 100, EXCLUSIVE | NOW)], seq(1, 2)), Status.LOCK_NOT_GRANTED, 'a failure records nothing');
  assert.equal(await lock(a, [el(100, 100, EXCLUSIVE | NOW)], seq(0, 1)), Status.LOCK_NOT_GRANTED, 'bucket 0 is never checked');
  assert.equal(await lock(a, [el(100, 100, EXCLUSIVE | NOW)], seq(65, 1)), Status.LOCK_NOT_GRANTED, 'nor one past 64');
  assert.equal(await lock(a, [el(100, 100, UNLOCK)], seq(64, 2)), Status.SUCCESS);
  assert.equal(await lock(a, [el(100, 100, UNLOCK)], seq(64, 2)), Status.SUCCESS, 'replayed unlock');
  assert.equal(await lock(a, [el(100, 100, UNLOCK)], seq(64, 3)), Status.RANGE_NOT_LOCKED, 'unlocked once only');
  c.close();
});

test('LockSequence is not checked on SMB 2.1 (no resilient or durable opens)', async () => {
  const { c, tree, lock } = await session([Dialect.SMB2_1]);
  const { a } = await twoOpens(tree, 'replay21.bin');
  assert.equal(await lock(a, [el(0, 1, EXCLUSIVE | NOW)], 0x11), Status.SUCCESS);
  assert.equal(await lock(a, [el(0, 1, EXCLUSIVE | NOW)], 0x11), Status.LOCK_NOT_GRANTED);
  c.close();
});

test('a named pipe has no byte ranges: LOCK on srvsvc is INVALID_DEVICE_REQUEST', async () => {
  const c = await loggedInClient(f);
  const ipc = await c.treeConnect('IPC$');
  const h = await ipc.create('srvsvc', { desiredAccess: Access.FILE_READ_DATA | Access.FILE_WRITE_DATA });
  const r = await c.request(Command.LOCK, lockBody(h.fileId, [el(0, 1, EXCLUSIVE | NOW)]), { treeId: ipc.treeId, allowError: true });
  assert.equal(r.header.status, Status.INVALID_DEVICE_REQUEST);
  c.close();
});
