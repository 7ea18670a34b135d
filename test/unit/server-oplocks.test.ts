/**
 * Oplocks and leases over loopback with hand-built PDUs: grants, break notifications on the
 * holder's connection, the conflicting CREATE waiting (async) for the acknowledgment or the break
 * timeout, acknowledgment validation, write breaks and the per-client lease limit.
 * [MS-SMB2] 3.3.4.6, 3.3.4.7, 3.3.5.9.8, 3.3.5.22.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { DEFAULT_LIMITS } from '../../server/options.js';
import { Command, Dialect, HeaderFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { breakClient } from '../support/oplock-client.js';
import {
  createBody, fileIdOfCreateResponse, leaseAckBody, leaseData, leaseKey, leaseOfCreateResponse, oplockAckBody,
  oplockLevelOfCreateResponse, readLeaseBreak, readOplockBreak, LEASE_H, LEASE_R, LEASE_W,
} from '../support/oplock-pdus.js';
import { cat, le16, le32, le64, zeros } from '../support/bytes.js';

const BATCH = 0x09;
const LEVEL_II = 0x01;
const LEASE = 0xff;
const BREAK_TIMEOUT_MS = 600;

let f: ServerFixture;
before(async () => {
  f = await startServer({ limits: { ...DEFAULT_LIMITS, oplockBreakTimeoutMs: BREAK_TIMEOUT_MS, maxLeasesPerClient: 3 } });
});
after(async () => {
  await f.close();
});

let n = 0;
async function freshFile(): Promise<string> {
  const name = `oplock-${++n}.bin`;
  await writeFile(path.join(f.dir, name), Buffer.alloc(100));
  return name;
}

/** Resolves with `p`'s value, or 'pending' if it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

test('a batch oplock is broken to Level II by a second open, which waits (STATUS_PENDING) until the holder acknowledges', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const b = await breakClient(f);
  const first = await a.create(createBody({ name, oplockLevel: BATCH }));
  assert.equal(first.header.status, Status.SUCCESS);
  assert.equal(oplockLevelOfCreateResponse(first.message), BATCH);
  const fileId = fileIdOfCreateResponse(first.message);

  const second = b.create(createBody({ name, oplockLevel: BATCH }));
  const note = await a.notification(0);
  const h = a.seen.find((x) => x.messageId === 0xffffffffffffffffn)!;
  assert.equal(h.command, Command.OPLOCK_BREAK);
  assert.equal(h.flags & HeaderFlag.SIGNED, 0, 'notifications are not signed');
  assert.equal(h.credits, 0);
  assert.deepEqual(readOplockBreak(note), { level: LEVEL_II, fileId });
  assert.equal(await within(second, 150), 'pending', 'the conflicting CREATE waits for the acknowledgment');
  assert.ok(b.seen.some((x) => x.command === Command.CREATE && x.status === Status.PENDING), 'an interim response went out');

  const ack = await a.ack(oplockAckBody(LEVEL_II, fileId));
  assert.equal(ack.header.status, Status.SUCCESS);
  assert.equal(ack.message[64 + 2], LEVEL_II, 'the response names the level now held');
  const done = await second;
  assert.equal(done.header.status, Status.SUCCESS);
  assert.equal(oplockLevelOfCreateResponse(done.message), LEVEL_II);
  a.close();
  b.close();
});

test('oplock acknowledgments are validated: none pending, a level above Level II', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const open = await a.create(createBody({ name, oplockLevel: BATCH }));
  const fileId = fileIdOfCreateResponse(open.message);
  assert.equal((await a.ack(oplockAckBody(LEVEL_II, fileId))).header.status, Status.INVALID_OPLOCK_PROTOCOL, 'no break pending');
  assert.equal((await a.ack(oplockAckBody(BATCH, fileId))).header.status, Status.INVALID_PARAMETER);
  assert.equal((await a.ack(oplockAckBody(LEVEL_II, cat(le64(999n), le64(999n))))).header.status, Status.FILE_CLOSED);
  a.close();
});

test('a holder that never acknowledges costs the conflicting open only the break timeout', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const b = await breakClient(f);
  await a.create(createBody({ name, oplockLevel: BATCH }));
  const started = Date.now();
  const second = await b.create(createBody({ name, oplockLevel: BATCH }));
  const waited = Date.now() - started;
  assert.equal(second.header.status, Status.SUCCESS);
  assert.ok(waited >= BREAK_TIMEOUT_MS - 50, `waited ${waited} ms`);
  assert.ok(waited < BREAK_TIMEOUT_MS + 2000, `waited ${waited} ms`);
  assert.equal(oplockLevelOfCreateResponse(second.message), LEVEL_II, 'the holder was taken to have acknowledged');
  a.close();
  b.close();
});

test('a WRITE breaks the other Level II oplocks to none without waiting', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const b = await breakClient(f);
  const aOpen = await a.create(createBody({ name, oplockLevel: LEVEL_II }));
  const bOpen = await b.create(createBody({ name, oplockLevel: LEVEL_II }));
  assert.equal(oplockLevelOfCreateResponse(bOpen.message), LEVEL_II);
  const body = cat(le16(49), le16(64 + 48), le32(4), le64(0n), fileIdOfCreateResponse(bOpen.message), le32(0), le32(0), le16(0), le16(0), le32(0), Buffer.from('data'));
  const w = await b.c.request(Command.WRITE, body, { treeId: b.seen.find((x) => x.command === Command.TREE_CONNECT)!.treeId, sessionId: b.c.sessionId });
  assert.equal(w.header.status, Status.SUCCESS);
  const note = await a.notification(0);
  assert.equal(readOplockBreak(note).level, 0);
  assert.deepEqual(readOplockBreak(note).fileId, fileIdOfCreateResponse(aOpen.message));
  a.close();
  b.close();
});

test('a lease RWH is broken to RH by another client: notification with ACK_REQUIRED and the new epoch, ack validated, then the open proceeds', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const b = await breakClient(f);
  const key = leaseKey(0x1234);
  const first = await a.create(createBody({ name, oplockLevel: LEASE, lease: leaseData(key, LEASE_R | LEASE_H | LEASE_W, { epoch: 7 }) }));
  assert.equal(oplockLevelOfCreateResponse(first.message), LEASE);
  const granted = leaseOfCreateResponse(first.message)!;
  assert.deepEqual({ state: granted.state, key: granted.key, epoch: granted.epoch }, { state: LEASE_R | LEASE_H | LEASE_W, key, epoch: 8 });

  const second = b.create(createBody({ name, oplockLevel: LEASE, lease: leaseData(leaseKey(0x5678), LEASE_R | LEASE_H | LEASE_W, { epoch: 1 }) }));
  const lb = readLeaseBreak(await a.notification(0));
  assert.deepEqual(lb, { epoch: 9, flags: 1, key, current: LEASE_R | LEASE_H | LEASE_W, next: LEASE_R | LEASE_H });
  assert.equal(await within(second, 150), 'pending');

  assert.equal((await a.ack(leaseAckBody(key, LEASE_R | LEASE_H | LEASE_W))).header.status, Status.REQUEST_NOT_ACCEPTED, 'not a subset of the break-to state');
  assert.equal((await a.ack(leaseAckBody(leaseKey(0x9999), LEASE_R))).header.status, Status.OBJECT_NAME_NOT_FOUND);
  const ok = await a.ack(leaseAckBody(key, LEASE_R | LEASE_H));
  assert.equal(ok.header.status, Status.SUCCESS);
  assert.equal(ok.message.readUInt32LE(64 + 24), LEASE_R | LEASE_H);
  assert.equal((await a.ack(leaseAckBody(key, LEASE_R))).header.status, Status.UNSUCCESSFUL, 'no break in progress any more');

  const done = await second;
  assert.equal(done.header.status, Status.SUCCESS);
  assert.equal(leaseOfCreateResponse(done.message)!.state, LEASE_R | LEASE_H, 'no W beside another open');
  a.close();
  b.close();
});

test('the same lease key on two opens never breaks itself, and names one file only', async () => {
  const name = await freshFile();
  const other = await freshFile();
  const a = await breakClient(f);
  const key = leaseKey(0x77);
  const lease = leaseData(key, LEASE_R | LEASE_H | LEASE_W);
  assert.equal(leaseOfCreateResponse((await a.create(createBody({ name, oplockLevel: LEASE, lease }))).message)!.state, 7);
  const again = await a.create(createBody({ name, oplockLevel: LEASE, lease }));
  assert.equal(leaseOfCreateResponse(again.message)!.state, 7);
  assert.equal(a.notifications.length, 0);
  assert.equal((await a.create(createBody({ name: other, oplockLevel: LEASE, lease }))).header.status, Status.INVALID_PARAMETER);
  a.close();
});

test('leases are granted only on 2.1 and later; a client holds at most maxLeasesPerClient of them', async () => {
  const old = await breakClient(f, Dialect.SMB2_0_2);
  const name = await freshFile();
  const r = await old.create(createBody({ name, oplockLevel: LEASE, lease: leaseData(leaseKey(1), LEASE_R) }));
  assert.equal(r.header.status, Status.SUCCESS);
  assert.equal(oplockLevelOfCreateResponse(r.message), 0);
  assert.equal(leaseOfCreateResponse(r.message), undefined);
  old.close();

  const a = await breakClient(f);
  const levels: number[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await a.create(createBody({ name: await freshFile(), oplockLevel: LEASE, lease: leaseData(leaseKey(100 + i), LEASE_R) }));
    levels.push(oplockLevelOfCreateResponse(res.message));
  }
  assert.deepEqual(levels, [LEASE, LEASE, LEASE, 0], 'the fourth lease is refused (limit 3)');
  a.close();
});

test('a lease break acknowledgment shorter than 36 bytes is refused before it is read', async () => {
  const a = await breakClient(f);
  const r = await a.ack(cat(le16(36), zeros(10)));
  assert.equal(r.header.status, Status.INVALID_PARAMETER);
  a.close();
});

test('a CREATE that must wait for a break inside a related compound waits in place: no interim response mid-chain', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const b = await breakClient(f);
  const key = leaseKey(0x4242);
  await a.create(createBody({ name, oplockLevel: LEASE, lease: leaseData(key, LEASE_R | LEASE_H | LEASE_W) }));
  const treeId = b.seen.find((x) => x.command === Command.TREE_CONNECT)!.treeId;
  const opts = { treeId, sessionId: b.c.sessionId, allowError: true };
  const closeRelated = cat(le16(24), le16(0), le32(0), Buffer.alloc(16, 0xff));
  const chain = b.c.conn.compound([
    { command: Command.CREATE, body: createBody({ name, oplockLevel: 0 }), opts },
    { command: Command.CLOSE, body: closeRelated, opts },
  ], true);
  assert.equal(readLeaseBreak(await a.notification(0)).next, LEASE_R | LEASE_H);
  assert.equal(await within(chain, 150), 'pending');
  assert.equal((await a.ack(leaseAckBody(key, LEASE_R | LEASE_H))).header.status, Status.SUCCESS);
  const [created, closed] = await chain;
  assert.equal(created.header.status, Status.SUCCESS);
  assert.equal(closed.header.status, Status.SUCCESS);
  assert.ok(!b.seen.some((x) => x.status === Status.PENDING), 'no STATUS_PENDING interim was sent');
  a.close();
  b.close();
});

test('a rename waits (STATUS_PENDING) for other leases to give up handle caching', async () => {
  const name = await freshFile();
  const a = await breakClient(f);
  const b = await breakClient(f);
  const key = leaseKey(0x5151);
  await a.create(createBody({ name, oplockLevel: LEASE, lease: leaseData(key, LEASE_R | LEASE_H) }));
  const DELETE = 0x00010000;
  const mine = await b.create(createBody({ name, oplockLevel: 0, desiredAccess: DELETE | 0x80 }));
  assert.equal(mine.header.status, Status.SUCCESS);
  assert.equal(a.notifications.length, 0, 'an open that shares everything leaves RH alone');
  const newName = Buffer.from(`${name}.renamed`, 'utf16le');
  // FileRenameInformation ([MS-FSCC] 2.4.37, SMB2 layout) in a SET_INFO request ([MS-SMB2] 2.2.39).
  const info = cat([0], zeros(7), le64(0n), le32(newName.length), newName);
  const body = cat([33, 0], [1], [10], le32(info.length), le16(96), le16(0), le32(0), fileIdOfCreateResponse(mine.message), info);
  const treeId = b.seen.find((x) => x.command === Command.TREE_CONNECT)!.treeId;
  const rename = b.c.request(Command.SET_INFO, body, { treeId, sessionId: b.c.sessionId, allowError: true });
  const lb = readLeaseBreak(await a.notification(0));
  assert.deepEqual({ current: lb.current, next: lb.next, flags: lb.flags }, { current: LEASE_R | LEASE_H, next: LEASE_R, flags: 1 });
  assert.equal(await within(rename, 150), 'pending');
  assert.ok(b.seen.some((x) => x.command === Command.SET_INFO && x.status === Status.PENDING));
  assert.equal((await a.ack(leaseAckBody(key, LEASE_R))).header.status, Status.SUCCESS);
  assert.equal((await rename).header.status, Status.SUCCESS);
  a.close();
  b.close();
});
