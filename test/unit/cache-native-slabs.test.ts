import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferSlabAllocator, NativeSlabAllocator, PageCache, PAGE_SIZE } from '../../cache/index.js';
import { loadRdmaBinding } from '../../native/index.js';
import { assembleServer, cacheSlabAllocator } from '../../ops/assemble.js';
import { SplicedMetrics } from '../../ops/metrics.js';
import { silentLogger } from '../../server/log.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Dialect } from '../../smb2/constants.js';
import { startServer, TEST_USER, TEST_PASSWORD } from '../support/server-fixture.js';

const loaded = loadRdmaBinding();
const skip = 'error' in loaded ? `RDMA addon unavailable (${loaded.error}); build it with npm run build:native to run this test` : false;

test('the cache carves its pages from the RDMA addon\'s native slabs and gives them back', { skip }, async () => {
  if ('error' in loaded) return;
  const { binding } = loaded;
  const dir = await mkdtemp(join(tmpdir(), 'spliced-native-'));
  const path = join(dir, 'f.bin');
  const content = Buffer.alloc(3 * PAGE_SIZE + 17);
  for (let i = 0; i < content.length; i++) content[i] = (i * 3) & 0xff;
  await writeFile(path, content);
  const before = binding.liveSlabCount();
  const cache = new PageCache({ allocator: new NativeSlabAllocator(binding), maxBytes: 8 * PAGE_SIZE, slabBytes: 4 * PAGE_SIZE, writebackIntervalMs: 0 });
  try {
    const handle = await cache.open(path);
    const result = await cache.spliceToBvecs(handle, 0, content.length);
    assert.equal(result.reason, null);
    assert.ok(binding.liveSlabCount() > before, 'slabs came from the addon');
    const slabs = new Map(cache.slabs().map((slab) => [slab.id, slab.memory]));
    for (const bvec of result.bvecs) {
      const memory = slabs.get(bvec.slabId)!;
      assert.equal(bvec.bytes().buffer, memory.buffer, 'the bvec is a view of the native slab');
      assert.ok(memory.subarray(bvec.slabOffset, bvec.slabOffset + bvec.length).equals(bvec.bytes()));
    }
    assert.ok(Buffer.concat(result.bvecs.map((b) => b.bytes())).equals(content));
    cache.release(result);
    await cache.close(handle);
  } finally {
    await cache.shutdown();
    cache.destroy();
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(binding.liveSlabCount(), before, 'destroy() freed every native slab');
});

test('the assembled server\'s cache runs on native slabs when the addon loads, and gives them back on close', { skip }, async () => {
  if ('error' in loaded) return;
  const { binding } = loaded;
  const fixture = await startServer();
  const before = binding.liveSlabCount();
  const server = assembleServer({ ...fixture.options, tcpPort: 0 }, new SplicedMetrics({ defaultMetrics: false }));
  const registered: number[] = [];
  const deregistered: number[] = [];
  server.cache!.onSlab((slab) => {
    registered.push(slab.id);
    return () => deregistered.push(slab.id);
  });
  try {
    const content = Buffer.alloc(3 * PAGE_SIZE, 0x3c);
    await writeFile(join(fixture.dir, 'n.bin'), content);
    const { tcpPort } = await server.smb.listen();
    const c = await Smb2Client.connect({ port: tcpPort, dialects: [Dialect.SMB3_1_1] });
    await c.login({ user: TEST_USER, password: TEST_PASSWORD });
    assert.ok((await (await c.treeConnect('share')).readFile('n.bin')).equals(content));
    c.close();
    assert.ok(binding.liveSlabCount() > before, 'the READ was served from addon memory');
    assert.ok(registered.length > 0);
  } finally {
    await server.close();
    await fixture.close();
  }
  assert.deepEqual(deregistered, registered, 'every slab\'s cleanup ran at close');
  assert.equal(binding.liveSlabCount(), before, 'close gave every native slab back');
});

test('without the addon the cache falls back to plain Buffer slabs and says why at debug level only', () => {
  const logged: string[] = [];
  const log = { ...silentLogger, debug: (obj: object | string) => void logged.push(JSON.stringify(obj)), warn: () => assert.fail('no warning'), info: () => assert.fail('no info') };
  const allocator = cacheSlabAllocator(() => ({ error: 'the RDMA addon is not built' }), log);
  assert.ok(allocator instanceof BufferSlabAllocator);
  assert.equal(logged.length, 1);
  assert.match(logged[0], /not built/);
  if ('binding' in loaded) assert.ok(cacheSlabAllocator(() => loaded, log) instanceof NativeSlabAllocator);
});
