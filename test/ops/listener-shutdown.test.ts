// The SMB Direct listener's shutdown wrapper on its own: stop accepting at once, release only
// once the server has no connection of it left, or after the bounded wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeAfterDrain } from '../../ops/listener-shutdown.js';
import type { Transport, TransportListener } from '../../server/transport.js';

function fakeListener(events: string[]) {
  let accept: ((t: Transport) => void) | undefined;
  const listener: TransportListener = {
    kind: 'rdma',
    async listen(onConnection) {
      accept = onConnection;
      return { port: 5445 };
    },
    async close() {
      events.push('inner.close');
    },
  };
  const offer = (name: string) => accept!({ peer: name, disconnect: () => events.push(`${name}.disconnect`) } as unknown as Transport);
  return { listener, offer };
}

test('connections pass through until close; then new ones are dropped and the inner close waits for the last one', async () => {
  const events: string[] = [];
  const { listener, offer } = fakeListener(events);
  let live = 1;
  const served: string[] = [];
  const wrapped = closeAfterDrain(listener, { live: () => live, maxWaitMs: 5000, onStep: (s) => events.push(s) });
  assert.equal(wrapped.kind, 'rdma');
  assert.deepEqual(await wrapped.listen((t) => served.push(t.peer)), { port: 5445 });
  offer('a');
  assert.deepEqual(served, ['a']);
  const closing = wrapped.close();
  assert.equal(wrapped.close(), closing, 'a second close is the same close');
  offer('late');
  assert.deepEqual(served, ['a'], 'not handed to the server');
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(events, ['stop-accepting', 'late.disconnect'], 'nothing released while a connection is live');
  live = 0;
  await closing;
  assert.deepEqual(events, ['stop-accepting', 'late.disconnect', 'drained', 'inner.close', 'released']);
});

test('a connection that never goes away delays the release by maxWaitMs at most', async () => {
  const events: string[] = [];
  const { listener } = fakeListener(events);
  const wrapped = closeAfterDrain(listener, { live: () => 1, maxWaitMs: 150 });
  await wrapped.listen(() => {});
  const started = Date.now();
  await wrapped.close();
  const waited = Date.now() - started;
  assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
  assert.deepEqual(events, ['inner.close']);
});
