import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { loggedInClient } from '../support/logged-in-client.js';
import { treeClient } from '../support/logged-in-client.js';
import { MemoryRegistry, memoryTransportPair } from '../support/server-memory-transport.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { SmbError } from '../../client/connection.js';
import { Access, Channel, Command, Dialect } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { noTelemetry, type Telemetry } from '../../server/telemetry.js';
import { encodeReadRequest, decodeReadResponse } from '../../smb2/commands/read.js';
import { encodeWriteRequestHeader, decodeWriteResponse } from '../../smb2/commands/write.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
});
after(async () => {
  await f.close();
});

async function rdmaClient(registry: MemoryRegistry): Promise<Smb2Client> {
  const pair = memoryTransportPair(registry);
  f.server.accept(pair.server);
  return loggedInClient({ port: 0 }, { transport: pair.client, dialects: [Dialect.SMB3_0_2] });
}

test('READ with an RDMA_V1_INVALIDATE channel writes into the client buffer and invalidates its token', async () => {
  const data = randomBytes(200_000);
  await writeFile(path.join(f.dir, 'rdma-read.bin'), data);
  const registry = new MemoryRegistry();
  const c = await rdmaClient(registry);
  const tree = await c.treeConnect('share');
  const h = await tree.create('rdma-read.bin');
  const target = Buffer.alloc(150_000);
  const desc = registry.register(target);
  const body = encodeReadRequest({ flags: 0, length: 150_000, offset: 10_000, fileId: h.fileId, minimumCount: 0, channel: Channel.RDMA_V1_INVALIDATE, remainingBytes: 0, channelInfo: [desc] });
  const r = await c.request(Command.READ, body, { treeId: tree.treeId, creditCharge: 3 });
  const res = decodeReadResponse(r.reader);
  assert.equal(res.dataLength, 0);
  assert.equal(res.dataRemaining, 150_000);
  assert.deepEqual(target, data.subarray(10_000, 160_000));
  assert.deepEqual(registry.invalidated, [desc.token]);
  c.close();
});

test('WRITE with an RDMA_V1 channel pulls the data from the client buffer', async () => {
  const registry = new MemoryRegistry();
  const c = await rdmaClient(registry);
  const tree = await c.treeConnect('share');
  const h = await tree.create('rdma-write.bin', { desiredAccess: (Access.GENERIC_WRITE | Access.GENERIC_READ) >>> 0, disposition: 5 });
  const source = randomBytes(100_000);
  const desc = registry.register(source);
  const body = encodeWriteRequestHeader({ offset: 0, fileId: h.fileId, channel: Channel.RDMA_V1, remainingBytes: source.length, flags: 0, channelInfo: [desc], length: 0 });
  const w = decodeWriteResponse((await c.request(Command.WRITE, body, { treeId: tree.treeId, creditCharge: 2 })).reader);
  assert.equal(w.count, source.length);
  await tree.close(h.fileId);
  assert.deepEqual(await readFile(path.join(f.dir, 'rdma-write.bin')), source);
  assert.deepEqual(registry.invalidated, []);
  c.close();
});

test('an RDMA channel on plain TCP is refused', async () => {
  await writeFile(path.join(f.dir, 'tcp.bin'), 'abc');
  const { c, tree } = await treeClient(f);
  const h = await tree.create('tcp.bin');
  const body = encodeReadRequest({ flags: 0, length: 3, offset: 0, fileId: h.fileId, minimumCount: 0, channel: Channel.RDMA_V1, remainingBytes: 0, channelInfo: [{ offset: 0n, token: 1, length: 3 }] });
  await assert.rejects(c.request(Command.READ, body, { treeId: tree.treeId }), (e: unknown) => e instanceof SmbError && e.status === Status.INVALID_PARAMETER);
  c.close();
});

test('READ bytes over an RDMA channel count as zero-copy, or as copied (forced) when the transport copies them (rdma zero copy = no)', async () => {
  const data = randomBytes(64 * 1024);
  await writeFile(path.join(f.dir, 'rdma-count.bin'), data);
  const counted: Array<{ transport: string; path: string; bytes: number; copied?: Readonly<Record<string, number>> }> = [];
  const telemetry: Telemetry = { ...noTelemetry, readBytes: (transport, p, bytes, copied) => void counted.push({ transport, path: p, bytes, copied }) };
  const counting = await startServer({}, { telemetry });
  try {
    await writeFile(path.join(counting.dir, 'rdma-count.bin'), data);
    for (const copiesReadData of [false, true]) {
      const registry = new MemoryRegistry();
      const pair = memoryTransportPair(registry, { copiesReadData });
      counting.server.accept(pair.server);
      const c = await loggedInClient({ port: 0 }, { transport: pair.client, dialects: [Dialect.SMB3_0_2] });
      const tree = await c.treeConnect('share');
      const h = await tree.create('rdma-count.bin');
      const target = Buffer.alloc(data.length);
      const body = encodeReadRequest({ flags: 0, length: data.length, offset: 0, fileId: h.fileId, minimumCount: 0, channel: Channel.RDMA_V1, remainingBytes: 0, channelInfo: [registry.register(target)] });
      await c.request(Command.READ, body, { treeId: tree.treeId, creditCharge: 1 });
      assert.deepEqual(target, data);
      await tree.close(h.fileId);
      c.close();
    }
  } finally {
    await counting.close();
  }
  const reads = counted.filter((r) => r.bytes === data.length);
  assert.equal(reads.length, 2, JSON.stringify(counted));
  assert.equal(reads[0].path, 'zerocopy');
  assert.deepEqual(reads[0].copied ?? {}, {});
  assert.equal(reads[1].path, 'copy');
  assert.deepEqual(reads[1].copied, { forced: data.length });
});
