import { test } from 'node:test';
import { runCacheModel } from '../soak/cache-model-soak.js';

test('model-based: random interleavings of cache operations agree with a plain file model', async () => {
  await runCacheModel({ runs: 250, seed: 20261127 });
});
