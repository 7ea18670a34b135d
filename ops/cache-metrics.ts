/**
 * Page-cache metrics, read from PageCache.counters() at scrape time. The cache keeps
 * cumulative numbers; the Prometheus counters follow them by delta and never go down.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { CacheCounters } from '../cache/counters.js';
import { COPY_REASONS } from '../cache/page-flags.js';
import { PAGE_STATES } from './metric-definitions.js';

/** `fresh` asks for a new snapshot instead of the one taken moments ago in the same scrape. */
export type CacheReader = (fresh: boolean) => CacheCounters | undefined;

const CACHE_COUNTERS: ReadonlyArray<[name: string, help: string, pick: (c: CacheCounters) => number]> = [
  ['spliced_cache_zerocopy_bytes_total', 'Bytes the cache handed out as page references.', (c) => c.zeroCopyBytes],
  ['spliced_cache_cow_replacements_total', 'Spliced pages replaced by a copy before being modified.', (c) => c.cowReplacements],
  ['spliced_cache_evictions_total', 'Pages evicted from the cache.', (c) => c.evictions],
  ['spliced_cache_hits_total', 'Page lookups found in the cache.', (c) => c.hits],
  ['spliced_cache_misses_total', 'Page lookups that read from disk.', (c) => c.misses],
  ['spliced_cache_readahead_pages_total', 'Pages read ahead of the client.', (c) => c.readaheadPages],
  ['spliced_cache_writeback_bytes_total', 'Dirty bytes written back to disk.', (c) => c.writebackBytes],
  ['spliced_cache_write_through_bytes_total', 'Bytes written straight to disk under memory pressure.', (c) => c.writeThroughBytes],
];

export function defineCacheMetrics(registry: Registry, read: CacheReader): void {
  const registers = [registry];
  const seen = new Map<string, number>();
  const follow = (counter: Counter<string>, key: string, labels: Record<string, string>, current: number): void => {
    const delta = current - (seen.get(key) ?? 0);
    seen.set(key, current);
    counter.inc(labels, delta > 0 ? delta : 0);
  };
  CACHE_COUNTERS.forEach(([name, help, pick], i) => {
    new Counter({
      name, help, registers,
      collect() {
        // The registry collects in registration order: the first cache metric takes the scrape's snapshot.
        const c = read(i === 0);
        if (c) follow(this, name, {}, pick(c));
      },
    });
  });
  new Counter({
    name: 'spliced_copy_fallback_bytes_total', help: 'Read bytes served by copying instead of zero-copy, by reason.',
    labelNames: ['reason'], registers,
    collect() {
      const c = read(false);
      for (const reason of COPY_REASONS) follow(this, reason, { reason }, c?.copiedBytesByReason[reason] ?? 0);
    },
  });
  new Gauge({
    name: 'spliced_cache_pages', help: 'Cache pages by state (each page counted once).', labelNames: ['state'], registers,
    collect() {
      const c = read(false);
      for (const state of PAGE_STATES) this.set({ state }, c?.pages[state] ?? 0);
    },
  });
  new Gauge({
    name: 'spliced_cache_pinned_pages',
    help: 'Cache pages held for READ responses not yet released (spliced plus bounce pages); 0 when idle.', registers,
    collect() {
      const c = read(false);
      this.set(c ? c.pages.spliced + c.pages.bounce : 0);
    },
  });
  new Gauge({
    name: 'spliced_cache_carved_pages', help: 'Cache pages carved from slabs so far: the memory the cache holds, used or free.', registers,
    collect() {
      this.set(read(false)?.totalPages ?? 0);
    },
  });
  new Gauge({
    name: 'spliced_cache_max_pages', help: 'Cache capacity in pages.', registers,
    collect() {
      this.set(read(false)?.maxPages ?? 0);
    },
  });
}
