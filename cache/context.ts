import type { PageArena } from './page-arena.js';
import type { CacheStats } from './counters.js';

/** Tuning knobs after defaults are applied. */
export interface CacheTuning {
  forceCopy: boolean;
  readaheadMaxBytes: number;
  readaheadMinBytes: number;
  /** How long an allocation waits for a page to be freed before falling back. */
  pressureWaitMs: number;
  /** Background writeback starts when this fraction of pages is dirty. */
  dirtyRatio: number;
  /** Keep written data in memory only (DIRTY) until writeback: lost if the process dies. */
  writeBehind: boolean;
  /** Awaited before each writeback I/O (instrumentation for tests). */
  beforeWritebackIo?: () => Promise<void> | void;
}

/** What the cache's modules share. */
export interface CacheContext {
  readonly arena: PageArena;
  readonly stats: CacheStats;
  readonly tuning: CacheTuning;
  /** Start background writeback of every dirty file (memory pressure). */
  requestWriteback(): void;
}
