// The credit state machine of smbdirect/credits.ts and fragmentation/reassembly, without a device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Credits } from '../../smbdirect/credits.js';
import { Reassembly, fragmentSizes } from '../../smbdirect/reassembly.js';

const RESPONSE_REQUESTED = 0x0001;

test('receives are posted up to the target plus one sentinel, and only the target is ever granted', () => {
  const c = new Credits(255);
  assert.equal(c.toPost(), 256);
  c.addPosted(256);
  assert.equal(c.toPost(), 0);
  assert.equal(c.grantInitial(255), 255);
  assert.equal(c.grantable(), 0, 'nothing more to grant while the peer holds every credit');
});

test('a grant never exceeds what the peer asked for', () => {
  const c = new Credits(255);
  c.addPosted(256);
  assert.equal(c.grantInitial(10), 10);
  c.granted(5, 10);
  assert.equal(c.grantable(), 0);
  assert.equal(c.received(), null);
  assert.equal(c.grantable(), 1, 'the spent credit can be granted again');
});

test('a message beyond the granted credits is an overrun', () => {
  const c = new Credits(4);
  c.addPosted(5);
  assert.equal(c.grantInitial(4), 4);
  for (let i = 0; i < 4; i++) assert.equal(c.received(), null);
  assert.match(c.received() ?? '', /without a receive credit/);
});

test('the last send credit is spent only on a message that grants credits', () => {
  const c = new Credits(8);
  c.addPosted(9);
  c.grantInitial(8);
  c.granted(2, 8);
  assert.equal(c.canSend(0), true);
  c.spend();
  assert.equal(c.sendCredits, 1);
  assert.equal(c.grantable(), 0);
  assert.equal(c.canSend(c.grantable()), false, 'the last credit is kept');
  assert.throws(() => c.spend(), /no send credit/);
  assert.equal(c.received(), null);
  assert.equal(c.canSend(c.grantable()), false, 'the receive is not posted again yet');
  c.addPosted(1);
  assert.equal(c.canSend(c.grantable()), true, 'a message that grants may use it');
  const ticket = c.spend();
  assert.equal(ticket.grant, 1);
  assert.equal(c.sendCredits, 0);
  assert.equal(c.canSend(8), false);
});

test('RESPONSE_REQUESTED goes out once when our credits run low, again only after a grant', () => {
  const c = new Credits(255);
  c.addPosted(256);
  c.grantInitial(255);
  c.granted(40, 255);
  const flags: number[] = [];
  while (c.sendCredits > 1) flags.push(c.spend().flags);
  const asked = flags.filter((f) => f & RESPONSE_REQUESTED).length;
  assert.equal(asked, 1);
  assert.equal(flags.findIndex((f) => f & RESPONSE_REQUESTED), 40 - 31 - 1, 'when 31 (255/8) credits are left');
  c.granted(10, 255);
  while (c.sendCredits > 1) flags.push(c.spend().flags);
  assert.equal(flags.filter((f) => f & RESPONSE_REQUESTED).length, 2);
});

test('a peer down to its low-water mark is granted by an empty message once we have receives to give', () => {
  const c = new Credits(16);
  c.addPosted(17);
  c.grantInitial(16);
  for (let i = 0; i < 14; i++) c.received();
  assert.equal(c.starvedPeer(), false, 'the peer holds 2 credits, above 16/8');
  c.received();
  assert.equal(c.starvedPeer(), false, 'no receive reposted yet');
  c.addPosted(15);
  assert.equal(c.starvedPeer(), true);
  c.granted(1, 16);
  c.spend();
  assert.equal(c.starvedPeer(), false, 'the grant went out');
});

test('fragment sizes count RemainingDataLength down to 0', () => {
  assert.deepEqual(fragmentSizes(0, 1340), [{ dataLength: 0, remaining: 0 }]);
  assert.deepEqual(fragmentSizes(1340, 1340), [{ dataLength: 1340, remaining: 0 }]);
  assert.deepEqual(fragmentSizes(3000, 1340), [{ dataLength: 1340, remaining: 1660 }, { dataLength: 1340, remaining: 320 }, { dataLength: 320, remaining: 0 }]);
  assert.throws(() => fragmentSizes(10, 0), /no room/);
});

test('reassembly rebuilds a message from every fragmentation, copying out of the receive buffers', () => {
  const message = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
  for (const size of [1, 7, 1340, 4999, 5000]) {
    const r = new Reassembly(1 << 20);
    const scratch = Buffer.alloc(size);
    let out: Buffer | null = null;
    for (const [i, f] of fragmentSizes(message.length, size).entries()) {
      message.copy(scratch, 0, i * size, i * size + f.dataLength);
      const got = r.add(scratch.subarray(0, f.dataLength), f.remaining);
      scratch.fill(0);
      if (f.remaining > 0) assert.equal(got, null);
      else if (got && 'message' in got) out = got.message;
    }
    assert.ok(out?.equals(message), `fragments of ${size}`);
    assert.equal(r.bufferedBytes, 0);
  }
});

test('reassembly refuses oversized and inconsistent fragments', () => {
  const r = new Reassembly(1000);
  assert.deepEqual(r.add(Buffer.alloc(10), 990), null);
  assert.equal(r.bufferedBytes, 1000);
  assert.match((r.add(Buffer.alloc(10), 10) as { error: string }).error, /does not continue/);
  assert.match((new Reassembly(1000).add(Buffer.alloc(10), 991) as { error: string }).error, /1001 bytes > 1000/);
  assert.equal(new Reassembly(1000).add(Buffer.alloc(0), 0), null, 'an empty message carries nothing');
  assert.match((new Reassembly(1000).add(Buffer.alloc(0), 4) as { error: string }).error, /empty fragment/);
});
