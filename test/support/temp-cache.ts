// A PageCache over a fresh temporary folder, for cache tests: both are gone after the body runs,
// whatever it throws.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PageCache, type PageCacheOptions } from '../../cache/index.js';

export async function withTempCache(prefix: string, options: PageCacheOptions, body: (cache: PageCache, dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const cache = new PageCache(options);
  try {
    await body(cache, dir);
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}
