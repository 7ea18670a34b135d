import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCacheModel, runConcurrentModel } from '../support/cache-model.js';

for (const writeBehind of [false, true]) {
  const mode = writeBehind ? 'write-behind' : 'default (writes handed to the kernel)';

  test(`model-based, ${mode}: random interleavings of cache operations agree with a plain file model`, async () => {
    await runCacheModel({ runs: 250, seed: 20261127, writeBehind });
  });

  test(`concurrent writes, reads and flushes in a tiny cache, ${mode}: reads see old or new bytes, the end state is exact`, async () => {
    const writeThrough = await runConcurrentModel({ runs: 150, seed: 4242, writeBehind });
    assert.ok(writeThrough > 0, 'the tiny cache forced some writes straight to disk');
  });
}
