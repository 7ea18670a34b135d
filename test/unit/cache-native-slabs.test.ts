import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeSlabAllocator, PageCache, PAGE_SIZE } from '../../cache/index.js';
import { loadRdmaBinding } from '../../native/index.js';

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
