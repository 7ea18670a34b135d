export { PageCache, type PageCacheOptions, type CacheHandle } from './page-cache.js';
export { CacheFileIoProvider } from './cache-file-io.js';
export { BufferSlabAllocator, NativeSlabAllocator, type NativeSlabSource, type SlabAllocator } from './slab-allocator.js';
export type { Bvec, SpliceResult } from './bvec.js';
export type { Mapping } from './cached-file.js';
export type { Slab, SlabListener } from './page-arena.js';
export type { CacheCounters, PageStates } from './counters.js';
export { PAGE_SIZE, PageFlag, COPY_REASONS, type CopyReason } from './page-flags.js';
export { CachePressureError } from './mapping.js';
