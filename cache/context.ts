import type { PageArena } from './page-arena.js';
import type { CacheStats } from './counters.js';
import type { DiskIdentity } from './cached-file.js';

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

/**
 * One thread-pool job that fstats a descriptor, writes runs of buffers at their positions and
 * fstats again (the fs addon's writeRunsStat). Without it the cache takes the three steps itself.
 */
export type WriteRunsStat = (fd: number, positions: number[], runs: Buffer[][]) => Promise<{ before: DiskIdentity; after: DiskIdentity }>;

/** What the cache's modules share. */
export interface CacheContext {
  readonly arena: PageArena;
  readonly stats: CacheStats;
  readonly tuning: CacheTuning;
  /** Start background writeback of every dirty file (memory pressure). */
  requestWriteback(): void;
  readonly writeRunsStat?: WriteRunsStat;
}
