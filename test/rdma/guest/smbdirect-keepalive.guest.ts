// SMB Direct keep-alive and idle timeout over rxe ([MS-SMBD] 3.1.6.2): spliced's server with
// `smb direct keepalive interval = 1` and `smb direct idle timeout = 1`, read from config text
// like serve reads them. A peer that answers keep-alives gets one a second and keeps its
// connection; a peer that negotiates and then falls silent is dropped after keep-alive + idle
// timeout, logged and not counted as a protocol error; our own client, idle meanwhile, is still
// served afterwards.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadRdmaBinding, type RdmaBinding } from '../../../native/index.js';
import { Smb2Client, SmbDirectClientTransport } from '../../../client/index.js';
import { parseConfig } from '../../../ops/config.js';
import { TEST_PASSWORD, TEST_USER } from '../../support/server-fixture.js';
import { startSmbDirectServer, type SmbDirectServer } from '../../support/smbdirect-server.js';
import { RawSmbdPeer } from '../../support/smbdirect-raw-peer.js';
import { dataMessageBytes, negotiateRequestBytes } from '../../support/smbdirect-bytes.js';
import { GUEST_IP, withTimeout } from './helpers.js';

/** [MS-SMBD] 2.2.3: Flags at offset 4 of a data transfer message. */
const FLAGS_OFFSET = 4;
const RESPONSE_REQUESTED = 0x0001;
/** The peer's receives beyond the one for the negotiate response (the raw peer posts 16). */
const PEER_GRANT = 15;

const cfg = parseConfig('[global]\n  smb direct keepalive interval = 1\n  smb direct idle timeout = 1\n', '/keepalive-test.conf');
const KEEPALIVE_MS = cfg.rdma.limits.keepaliveMs;
const IDLE_MS = cfg.rdma.limits.idleTimeoutMs;

let binding: RdmaBinding;
let srv: SmbDirectServer;

before(async () => {
  assert.deepEqual([KEEPALIVE_MS, IDLE_MS], [1000, 1000], 'the config keys are read in seconds');
  const loaded = loadRdmaBinding({ requireDevice: true });
  if ('error' in loaded) throw new Error(loaded.error);
  binding = loaded.binding;
  srv = await startSmbDirectServer(binding, GUEST_IP, { limits: cfg.rdma.limits });
});

after(async () => {
  await srv?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Negotiates, then grants the server PEER_GRANT send credits with one empty data message. */
async function negotiatedPeer(): Promise<RawSmbdPeer> {
  const peer = await withTimeout(RawSmbdPeer.connect(binding, GUEST_IP, srv.port), 'a raw SMB Direct connection');
  assert.equal(await peer.send(negotiateRequestBytes()), 'SUCCESS');
  const res = await peer.receive();
  assert.ok(res && res.length >= 32 && res.readUInt32LE(12) === 0, 'a negotiate response with STATUS_SUCCESS');
  assert.equal(await peer.send(dataMessageBytes({ creditsRequested: 255, creditsGranted: PEER_GRANT })), 'SUCCESS');
  return peer;
}

test('a peer that answers keep-alives gets one per configured interval and keeps its connection', async () => {
  const peer = await negotiatedPeer();
  try {
    const seen: number[] = [];
    const until = Date.now() + 4500;
    for (let left = 4500; left > 0; left = until - Date.now()) {
      const m = await peer.receive(left);
      if (!m) continue;
      if (!(m.readUInt16LE(FLAGS_OFFSET) & RESPONSE_REQUESTED)) continue;
      seen.push(Date.now());
      // The answer: an empty message that gives back the receive the keep-alive used.
      assert.equal(await peer.send(dataMessageBytes({ creditsRequested: 255, creditsGranted: 1 }), seen.length), 'SUCCESS');
    }
    assert.ok(seen.length >= 3, `keep-alives within 4.5 s at a 1 s interval: ${seen.length}`);
    const gaps = seen.slice(1).map((t, i) => t - seen[i]);
    assert.ok(gaps.every((g) => g >= KEEPALIVE_MS - 100), `each keep-alive comes an interval after the last answer: ${gaps.join(', ')} ms`);
    assert.equal(peer.isDisconnected, false, 'answered keep-alives keep the connection');
    assert.equal(srv.listener.connectionCount, 1);
  } finally {
    await peer.close();
  }
});

test('a peer that falls silent is dropped after keep-alive + idle timeout and logged; our idle client is still served', async () => {
  const transport = await withTimeout(SmbDirectClientTransport.connect({ host: GUEST_IP, port: srv.port, binding }), 'SMB Direct connect');
  try {
    const client = await withTimeout(Smb2Client.connect({ port: 0, transport }), 'SMB2 NEGOTIATE over SMB Direct');
    await withTimeout(client.login({ user: TEST_USER, password: TEST_PASSWORD }), 'SESSION_SETUP over SMB Direct');
    const tree = await withTimeout(client.treeConnect('share'), 'TREE_CONNECT over SMB Direct');
    const payload = Buffer.from('still served after a quiet spell');
    const h = await tree.create('keepalive.txt', { desiredAccess: 0x12019f, disposition: 5 });
    assert.equal(await tree.write(h.fileId, 0, payload), payload.length);
    const idleFrom = Date.now();

    const errorsBefore = srv.counters.protocolErrors;
    const silent = await negotiatedPeer();
    const silentFrom = Date.now();
    try {
      assert.ok(await silent.waitDisconnected(8000), 'the silent peer was disconnected');
      const after = Date.now() - silentFrom;
      assert.ok(after >= KEEPALIVE_MS + IDLE_MS - 100, `not before keep-alive + idle timeout: ${after} ms`);
      const keepalive = await silent.receive(500);
      assert.ok(keepalive, 'the server sent the silent peer a keep-alive before dropping it');
      assert.ok(keepalive.readUInt16LE(FLAGS_OFFSET) & RESPONSE_REQUESTED, 'with RESPONSE_REQUESTED');
    } finally {
      await silent.close();
    }
    // Logged once the connection has released everything (after the device flushed its work).
    const logged = () => srv.warnings.some((w) => /did not answer a keep-alive in time; disconnected/.test(w) && /idle timeout/.test(w));
    for (const until = Date.now() + 5000; !logged() && Date.now() < until; ) await sleep(20);
    assert.ok(logged(), `the drop is logged: ${srv.warnings.join(' | ')}`);
    assert.equal(srv.counters.protocolErrors, errorsBefore, 'a silent peer is not a protocol error');

    await sleep(Math.max(0, idleFrom + 4000 - Date.now()));
    assert.equal(srv.listener.connectionCount, 1, 'our client, idle for 4 s, still has its connection');
    const back = await withTimeout(tree.read(h.fileId, 0, payload.length), 'a READ after 4 s idle');
    assert.ok(back.equals(payload));
    await tree.close(h.fileId);
  } finally {
    await transport.shutdown();
  }
});
