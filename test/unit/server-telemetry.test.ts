import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import type { Telemetry } from '../../server/telemetry.js';

function recordingTelemetry() {
  const counts: Record<string, number> = {};
  const bump = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
  const requests: Array<[string, number]> = [];
  const t: Telemetry = {
    request: (command, seconds, status) => {
      assert.ok(seconds >= 0);
      requests.push([command, status]);
    },
    readBytes: (transport, path, bytes) => bump(`read:${transport}:${path}`, bytes),
    writeBytes: (transport, bytes) => bump(`write:${transport}`, bytes),
    connectionOpened: (k) => bump(`open:${k}`),
    connectionClosed: (k) => bump(`close:${k}`),
    sessionOpened: () => bump('session+'),
    sessionClosed: () => bump('session-'),
    fileOpened: () => bump('file+'),
    fileClosed: () => bump('file-'),
    protocolError: (kind) => bump(`error:${kind}`),
  };
  return { t, counts, requests };
}

test('telemetry sees connections, sessions, opens, bytes, requests and protocol errors', async () => {
  const rec = recordingTelemetry();
  const f = await startServer({}, { telemetry: rec.t });
  try {
    const { c, tree } = await treeClient(f);
    await tree.writeFile('t.bin', Buffer.alloc(5000, 1));
    assert.equal((await tree.readFile('t.bin')).length, 5000);
    await c.logoff();
    c.close();
    const bad = net.connect({ host: '127.0.0.1', port: f.port });
    await new Promise<void>((resolve) => {
      bad.on('connect', () => bad.write(Buffer.from([0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8])));
      bad.on('close', () => resolve());
      bad.on('error', () => {});
    });
    for (let i = 0; i < 50 && (rec.counts['close:tcp'] ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(rec.counts['open:tcp'], 2);
    assert.equal(rec.counts['close:tcp'], 2);
    assert.equal(rec.counts['session+'], 1);
    assert.equal(rec.counts['session-'], 1);
    assert.equal(rec.counts['file+'], rec.counts['file-']);
    assert.ok(rec.counts['file+'] >= 2);
    assert.equal(rec.counts['write:tcp'], 5000);
    assert.equal((rec.counts['read:tcp:copy'] ?? 0) + (rec.counts['read:tcp:zerocopy'] ?? 0), 5000);
    assert.equal(rec.counts['error:framing'], 1);
    const names = new Set(rec.requests.map(([c]) => c));
    for (const n of ['NEGOTIATE', 'SESSION_SETUP', 'TREE_CONNECT', 'CREATE', 'WRITE', 'READ', 'CLOSE', 'LOGOFF']) assert.ok(names.has(n), n);
  } finally {
    await f.close();
  }
});
