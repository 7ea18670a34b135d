/**
 * WRITE with an RDMA channel through the whole server over an in-memory transport: when the
 * transport can RDMA READ into given memory (rdmaReadInto), the handler lets the cache offer fresh
 * registered pages for the whole pages of the range and telemetry counts them as placed; without
 * it (or over the cache-less FileIo) the data arrives in a Buffer and every byte counts as copied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer } from '../support/server-fixture.js';
import { loggedInClient } from '../support/logged-in-client.js';
import { MemoryRegistry, memoryTransportPair } from '../support/server-memory-transport.js';
import { CacheFileIoProvider, PageCache, PAGE_SIZE } from '../../cache/index.js';
import { Access, Channel, Command, Dialect } from '../../smb2/constants.js';
import { encodeWriteRequestHeader, decodeWriteResponse } from '../../smb2/commands/write.js';
import { noTelemetry, type Telemetry } from '../../server/telemetry.js';
import type { FillTarget } from '../../server/file-io.js';
import type { Transport } from '../../server/transport.js';

interface Counted {
  transport: string;
  bytes: number;
  placed?: number;
}

/** The memory transport plus rdmaReadInto: region targets must be slab memory of `cache`; they count as placed. */
function withReadInto(t: Transport, registry: MemoryRegistry, cache: PageCache, seen: FillTarget[][]): Transport {
  t.rdmaReadInto = async (descriptors, targets) => {
    seen.push(targets);
    const source = Buffer.concat(descriptors.map((d) => registry.region(d)));
    const slabs = new Map(cache.slabs().map((slab) => [slab.id, slab.memory]));
    let at = 0;
    let placed = 0;
    for (const target of targets) {
      if (target.region) {
        const memory = slabs.get(target.region.slabId);
        assert.ok(memory && target.bytes.byteOffset === memory.byteOffset + target.region.offset, 'a region target is the cache page it names');
        placed += target.bytes.length;
      }
      at += source.copy(target.bytes, 0, at, at + target.bytes.length);
    }
    return placed;
  };
  return t;
}

async function rdmaWrite(withInto: boolean, offset: number, length: number): Promise<{ counted: Counted[]; seen: FillTarget[][]; onDisk: Buffer; data: Buffer }> {
  const cache = new PageCache({ maxBytes: 256 * PAGE_SIZE, writebackIntervalMs: 0 });
  const counted: Counted[] = [];
  const telemetry: Telemetry = { ...noTelemetry, writeBytes: (transport, bytes, placed) => void counted.push({ transport, bytes, placed }) };
  const f = await startServer({}, { fileIo: new CacheFileIoProvider(cache), telemetry });
  const seen: FillTarget[][] = [];
  try {
    const registry = new MemoryRegistry();
    const pair = memoryTransportPair(registry);
    f.server.accept(withInto ? withReadInto(pair.server, registry, cache, seen) : pair.server);
    const c = await loggedInClient({ port: 0 }, { transport: pair.client, dialects: [Dialect.SMB3_0_2] });
    const tree = await c.treeConnect('share');
    await writeFile(path.join(f.dir, 'placed.bin'), Buffer.alloc(0));
    const h = await tree.create('placed.bin', { desiredAccess: (Access.GENERIC_WRITE | Access.GENERIC_READ) >>> 0 });
    const data = randomBytes(length);
    const desc = registry.register(data);
    const body = encodeWriteRequestHeader({ offset, fileId: h.fileId, channel: Channel.RDMA_V1, remainingBytes: length, flags: 0, channelInfo: [desc], length: 0 });
    const w = decodeWriteResponse((await c.request(Command.WRITE, body, { treeId: tree.treeId, creditCharge: Math.max(1, Math.ceil(length / 65536)) })).reader);
    assert.equal(w.count, length);
    const onDisk = await readFile(path.join(f.dir, 'placed.bin')); // acknowledged: already in the kernel
    await tree.close(h.fileId);
    c.close();
    return { counted, seen, onDisk, data };
  } finally {
    await f.close();
    await cache.shutdown();
  }
}

test('an RDMA-channel WRITE with rdmaReadInto lands its whole pages in cache pages and counts them as placed', async () => {
  const offset = 100;
  const length = 3 * PAGE_SIZE;
  const { counted, seen, onDisk, data } = await rdmaWrite(true, offset, length);
  assert.deepEqual(seen.map((targets) => targets.map((t) => [t.bytes.length, t.region !== null])), [[[PAGE_SIZE - 100, false], [2 * PAGE_SIZE, true], [100, false]]]);
  assert.deepEqual(counted, [{ transport: 'rdma', bytes: length, placed: 2 * PAGE_SIZE }]);
  assert.ok(onDisk.subarray(offset).equals(data));
  assert.ok(onDisk.subarray(0, offset).equals(Buffer.alloc(offset)));
});

test('without rdmaReadInto the RDMA-channel WRITE still works through a Buffer and counts every byte as copied', async () => {
  const { counted, seen, onDisk, data } = await rdmaWrite(false, 0, 2 * PAGE_SIZE);
  assert.deepEqual(seen, []);
  assert.deepEqual(counted, [{ transport: 'rdma', bytes: 2 * PAGE_SIZE, placed: 0 }]);
  assert.ok(onDisk.equals(data));
});
