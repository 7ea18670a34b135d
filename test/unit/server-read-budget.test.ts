import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadBudget } from '../../server/read-budget.js';
import { MessagePayloads, type MessagePayloadsHooks } from '../../server/message-payloads.js';
import type { ReadPayload } from '../../server/file-io.js';
import { Status, SmbStatusError } from '../../smb2/status.js';

function payload(length: number): ReadPayload & { releases: number } {
  const p = { chunks: [Buffer.alloc(length)], length, path: 'zerocopy' as const, releases: 0, release: () => void p.releases++ };
  return p;
}

function setup(connLimit: number, serverLimit: number) {
  const server = new ReadBudget(() => serverLimit);
  const conn = new ReadBudget(() => connLimit, server);
  const events: string[] = [];
  const delivered: number[] = [];
  let closed = false;
  const hooks: MessagePayloadsHooks = {
    closed: () => closed,
    waiting: (on) => events.push(on ? 'wait' : 'go'),
    limitHit: (limit) => events.push(limit),
    delivered: (_p, bytes) => delivered.push(bytes),
  };
  return { server, conn, events, delivered, close: () => (closed = true), message: () => new MessagePayloads(conn, server, hooks) };
}

const insufficient = (e: unknown) => e instanceof SmbStatusError && e.status === Status.INSUFFICIENT_RESOURCES;

test('every adopted payload is released exactly once, delivered bytes counted once, whatever path releases it', async () => {
  const s = setup(100, 1000);
  const m = s.message();
  await m.admit(30);
  const a = payload(10);
  const b = payload(20);
  const ownedA = m.adopt(a);
  const ownedB = m.adopt(b);
  assert.equal(m.adopt(ownedA), ownedA, 'adopting twice keeps one owner');
  assert.equal(s.server.payloads, 2);
  assert.equal(s.server.bytes, 30);
  m.delivered(ownedA, 10);
  ownedB.release(); // e.g. the compound element that did not fit
  ownedB.release();
  m.settle();
  m.settle();
  assert.equal(a.releases, 1);
  assert.equal(b.releases, 1);
  assert.deepEqual(s.delivered, [10]);
  assert.equal(s.server.payloads, 0);
  assert.equal(s.server.bytes, 0);
  assert.equal(s.conn.bytes, 0);
});

test('a payload produced after its message was settled (connection gone) is released at once', () => {
  const s = setup(100, 1000);
  const m = s.message();
  m.settle();
  const late = payload(5);
  m.adopt(late);
  assert.equal(late.releases, 1);
  assert.equal(s.server.payloads, 0);
});

test('a READ beyond the budget waits for an earlier release; within one compound it is refused instead', async () => {
  const s = setup(100, 150);
  const first = s.message();
  await first.admit(80);
  const second = s.message();
  let admitted = false;
  const waiting = second.admit(50).then(() => (admitted = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(admitted, false);
  assert.deepEqual(s.events, ['read_bytes_connection', 'wait']);
  await assert.rejects(first.admit(30), insufficient, 'same compound: would wait on itself');
  first.settle();
  await waiting;
  assert.deepEqual(s.events.slice(-1), ['go']);
  assert.equal(s.conn.bytes, 50);
  await assert.rejects(s.message().admit(101), insufficient, 'larger than the limit: never fits');
  second.settle();
  assert.equal(s.server.bytes, 0);
});

test('a waiting READ gives up when its connection closes', async () => {
  const s = setup(100, 1000);
  const holder = s.message();
  await holder.admit(100);
  const waiting = s.message().admit(10);
  s.close();
  s.server.wake();
  await assert.rejects(waiting, insufficient);
  holder.settle();
  assert.equal(s.server.bytes, 0);
});

test('the server-wide budget binds across connections', async () => {
  const server = new ReadBudget(() => 100);
  const a = new ReadBudget(() => 80, server);
  const b = new ReadBudget(() => 80, server);
  a.take(70);
  assert.equal(b.overflow(40), server);
  assert.equal(b.overflow(30), null);
  a.give(70);
  assert.equal(server.bytes, 0);
});
