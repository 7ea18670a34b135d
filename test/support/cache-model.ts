/**
 * Model-based test of the page cache: random interleavings of read, splice, release,
 * write, writeFrom (a transport filling fresh pages), truncate, map, map-store, unmap, flush, writeback, evict and reopen, checked
 * against a plain in-memory file. After every step each outstanding bvec must still
 * hold the bytes it had when spliced; after every flush the disk must equal the model.
 *
 * Run a few hundred times by test/unit/cache-model.test.ts; test/soak/cache-model-soak.ts runs it
 * for as long as a soak should.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CachePressureError, PageCache, PAGE_SIZE, type CacheHandle, type Mapping, type SpliceResult } from '../../cache/index.js';

interface Outstanding {
  result: SpliceResult;
  expected: Buffer;
}

interface LiveMapping {
  mapping: Mapping;
  /** A truncate happened since: the views may no longer be file data. */
  stale: boolean;
}

interface Model {
  data: Buffer;
  outstanding: Outstanding[];
  mappings: LiveMapping[];
}

interface Real {
  cache: PageCache;
  handle: CacheHandle;
  path: string;
}

type CacheCommand = fc.AsyncCommand<Model, Real>;

const MAX_FILE = 24 * PAGE_SIZE;

function fillPattern(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (seed + i * 13 + (i >>> 9)) & 0xff;
  return out;
}

function modelSlice(model: Model, offset: number, length: number): Buffer {
  return Buffer.from(model.data.subarray(Math.min(offset, model.data.length), Math.min(offset + length, model.data.length)));
}

function resizeModel(model: Model, size: number): void {
  const next = Buffer.alloc(size);
  model.data.copy(next, 0, 0, Math.min(size, model.data.length));
  model.data = next;
}

function gather(result: SpliceResult): Buffer {
  return Buffer.concat(result.bvecs.map((bvec) => bvec.bytes()));
}

function checkInvariants(model: Model, real: Real): void {
  assert.equal(real.cache.size(real.handle), model.data.length, 'size');
  for (const { result, expected } of model.outstanding) {
    assert.ok(gather(result).equals(expected), 'an outstanding bvec changed under its reader');
  }
}

class ReadCommand implements CacheCommand {
  constructor(readonly offset: number, readonly length: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const got = await real.cache.read(real.handle, this.offset, this.length);
    assert.ok(got.equals(modelSlice(model, this.offset, this.length)), 'read differs from the model');
    checkInvariants(model, real);
  }
  toString = (): string => `read(${this.offset}, ${this.length})`;
}

/** Whether any of `a` and any of `b` are views of the same bytes. */
function sharesMemory(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  return a.some((x) => b.some((y) => x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.length && y.byteOffset < x.byteOffset + x.length));
}

class SpliceCommand implements CacheCommand {
  constructor(readonly offset: number, readonly length: number, readonly forceCopy: boolean) {}
  check = (model: Readonly<Model>): boolean => model.outstanding.length < 6;
  async run(model: Model, real: Real): Promise<void> {
    const result = await real.cache.spliceToBvecs(real.handle, this.offset, this.length, { forceCopy: this.forceCopy });
    const expected = modelSlice(model, this.offset, this.length);
    assert.ok(gather(result).equals(expected), 'splice differs from the model');
    assert.equal(result.length, expected.length);
    for (const live of model.mappings) assert.ok(!sharesMemory(result.bvecs.map((b) => b.bytes()), live.mapping.views), 'a page a mapping holds was handed out, not copied');
    model.outstanding.push({ result, expected });
    checkInvariants(model, real);
  }
  toString = (): string => `splice(${this.offset}, ${this.length}${this.forceCopy ? ', copy' : ''})`;
}

class ReleaseCommand implements CacheCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>): boolean => model.outstanding.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const [gone] = model.outstanding.splice(this.pick % model.outstanding.length, 1);
    real.cache.release(gone.result);
    checkInvariants(model, real);
  }
  toString = (): string => `release(#${this.pick})`;
}

class WriteCommand implements CacheCommand {
  constructor(readonly offset: number, readonly length: number, readonly seed: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const data = fillPattern(this.length, this.seed);
    if (this.offset + this.length > model.data.length) resizeModel(model, this.offset + this.length);
    data.copy(model.data, this.offset);
    assert.equal(await real.cache.write(real.handle, this.offset, data), this.length);
    data.fill(0); // the cache must have taken its own copy
    checkInvariants(model, real);
  }
  toString = (): string => `write(${this.offset}, ${this.length}, seed ${this.seed})`;
}

/**
 * A WRITE whose bytes a transport fills in (SMB Direct: RDMA READ into fresh cache pages);
 * with `fails` the fill rejects after scribbling over its targets and nothing may change.
 */
class WriteFromCommand implements CacheCommand {
  constructor(readonly offset: number, readonly length: number, readonly seed: number, readonly fails: boolean) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const data = fillPattern(this.length, this.seed);
    const fill = async (targets: Array<{ bytes: Buffer }>): Promise<number> => {
      let at = 0;
      for (const target of targets) at += data.copy(target.bytes, 0, at, at + target.bytes.length);
      assert.equal(at, data.length, 'the targets cover the WRITE exactly');
      if (this.fails) throw new Error('fill failed');
      return 0;
    };
    const freeBefore = real.cache.counters().pages.free;
    const write = real.cache.writeFrom(real.handle, this.offset, this.length, fill);
    if (this.fails) {
      await assert.rejects(write, /fill failed/);
      assert.ok(real.cache.counters().pages.free >= freeBefore, 'a failed fill gives its pages back');
    } else {
      assert.equal((await write).count, this.length);
      if (this.offset + this.length > model.data.length) resizeModel(model, this.offset + this.length);
      data.copy(model.data, this.offset);
    }
    checkInvariants(model, real);
  }
  toString = (): string => `writeFrom(${this.offset}, ${this.length}, seed ${this.seed}${this.fails ? ', fails' : ''})`;
}

class TruncateCommand implements CacheCommand {
  constructor(readonly size: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    resizeModel(model, this.size);
    for (const live of model.mappings) live.stale = true;
    await real.cache.setSize(real.handle, this.size);
    checkInvariants(model, real);
  }
  toString = (): string => `setSize(${this.size})`;
}

class MapCommand implements CacheCommand {
  constructor(readonly offset: number, readonly length: number) {}
  check = (model: Readonly<Model>): boolean => model.mappings.length < 3;
  async run(model: Model, real: Real): Promise<void> {
    const mappedBefore = real.handle.file.mapped;
    let mapping: Mapping;
    try {
      mapping = await real.cache.map(real.handle, this.offset, this.length);
    } catch (err) {
      // Local mappings (not server requests) may be refused when every page is pinned.
      assert.ok(err instanceof CachePressureError, String(err));
      assert.equal(real.handle.file.mapped, mappedBefore);
      checkInvariants(model, real);
      return;
    }
    const expected = modelSlice(model, this.offset, this.length);
    assert.ok(Buffer.concat(mapping.views).equals(expected), 'mapped bytes differ from the model');
    model.mappings.push({ mapping, stale: false });
    checkInvariants(model, real);
  }
  toString = (): string => `map(${this.offset}, ${this.length})`;
}

/** A store through a live mapping, as a local consumer of the views would do. */
class MapStoreCommand implements CacheCommand {
  constructor(readonly pick: number, readonly at: number, readonly value: number) {}
  check = (model: Readonly<Model>): boolean => model.mappings.some((live) => !live.stale && live.mapping.length > 0);
  async run(model: Model, real: Real): Promise<void> {
    const usable = model.mappings.filter((live) => !live.stale && live.mapping.length > 0);
    const { mapping } = usable[this.pick % usable.length];
    let at = this.at % mapping.length;
    model.data[mapping.offset + at] = this.value;
    for (const view of mapping.views) {
      if (at < view.length) {
        view[at] = this.value;
        break;
      }
      at -= view.length;
    }
    checkInvariants(model, real);
  }
  toString = (): string => `mapStore(#${this.pick}, ${this.at}, ${this.value})`;
}

class UnmapCommand implements CacheCommand {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>): boolean => model.mappings.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const [gone] = model.mappings.splice(this.pick % model.mappings.length, 1);
    real.cache.unmap(gone.mapping);
    checkInvariants(model, real);
  }
  toString = (): string => `unmap(#${this.pick})`;
}

class FlushCommand implements CacheCommand {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.cache.flush(real.handle);
    assert.ok((await readFile(real.path)).equals(model.data), 'file on disk differs from the model after flush');
    checkInvariants(model, real);
  }
  toString = (): string => 'flush';
}

class WritebackCommand implements CacheCommand {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.cache.writeback(real.handle);
    checkInvariants(model, real);
  }
  toString = (): string => 'writeback';
}

class EvictCommand implements CacheCommand {
  constructor(readonly limit: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const dirtyBefore = real.cache.counters().dirtyPages;
    real.cache.evict(this.limit);
    assert.equal(real.cache.counters().dirtyPages, dirtyBefore, 'eviction must not drop dirty pages');
    checkInvariants(model, real);
  }
  toString = (): string => `evict(${this.limit})`;
}

class ReopenCommand implements CacheCommand {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const next = await real.cache.open(real.path, { writable: true });
    await real.cache.close(real.handle);
    real.handle = next;
    checkInvariants(model, real);
  }
  toString = (): string => 'reopen';
}

const offsetArb = fc.oneof(fc.integer({ min: 0, max: MAX_FILE }), fc.integer({ min: 0, max: 24 }).map((page) => page * PAGE_SIZE));
const lengthArb = fc.oneof(fc.integer({ min: 0, max: 6 * PAGE_SIZE }), fc.integer({ min: 1, max: 6 }).map((pages) => pages * PAGE_SIZE));

const spliceArb = fc.tuple(offsetArb, lengthArb, fc.integer({ min: 0, max: 4 })).map(([o, l, c]) => new SpliceCommand(o, l, c === 0));
const writeArb = fc
  .tuple(offsetArb, fc.integer({ min: 1, max: 3 * PAGE_SIZE }), fc.nat(255))
  .map(([o, l, s]) => new WriteCommand(Math.min(o, MAX_FILE - l), l, s));

const writeFromArb = fc
  .tuple(offsetArb, fc.integer({ min: 0, max: 4 * PAGE_SIZE }), fc.nat(255), fc.integer({ min: 0, max: 5 }))
  .map(([o, l, s, f]) => new WriteFromCommand(Math.min(o, MAX_FILE - l), l, s, f === 0));

/** fc.commands picks uniformly, so the commonest operations are listed more than once. */
const cacheCommands = [
  fc.tuple(offsetArb, lengthArb).map(([o, l]) => new ReadCommand(o, l)),
  spliceArb,
  spliceArb,
  fc.nat().map((k) => new ReleaseCommand(k)),
  writeArb,
  writeArb,
  writeFromArb,
  fc.integer({ min: 0, max: MAX_FILE }).map((size) => new TruncateCommand(size)),
  fc.tuple(offsetArb, lengthArb).map(([o, l]) => new MapCommand(o, l)),
  fc.tuple(fc.nat(), fc.nat(), fc.nat(255)).map(([k, at, v]) => new MapStoreCommand(k, at, v)),
  fc.nat().map((k) => new UnmapCommand(k)),
  fc.constant(new FlushCommand()),
  fc.constant(new WritebackCommand()),
  fc.integer({ min: 1, max: 64 }).map((limit) => new EvictCommand(limit)),
  fc.constant(new ReopenCommand()),
];

/** Setup, run, and tear down one command sequence against a fresh file and a small cache. */
async function runSequence(initialSize: number, commands: Iterable<CacheCommand>, maxPages: number, writeBehind: boolean): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'spliced-model-'));
  const path = join(dir, 'model.bin');
  const initial = fillPattern(initialSize, 99);
  await writeFile(path, initial);
  const cache = new PageCache({
    maxBytes: maxPages * PAGE_SIZE,
    slabBytes: 8 * PAGE_SIZE,
    pressureWaitMs: 1,
    writebackIntervalMs: 0,
    readaheadMinBytes: 2 * PAGE_SIZE,
    readaheadMaxBytes: 8 * PAGE_SIZE,
    writeBehind,
  });
  const model: Model = { data: Buffer.from(initial), outstanding: [], mappings: [] };
  const real: Real = { cache, handle: await cache.open(path, { writable: true }), path };
  try {
    await fc.asyncModelRun(() => ({ model, real }), commands);
    for (const { result, expected } of model.outstanding) {
      assert.ok(gather(result).equals(expected), 'an outstanding bvec changed under its reader');
      cache.release(result);
    }
    for (const { mapping } of model.mappings) cache.unmap(mapping);
    await cache.flush(real.handle);
    assert.ok((await readFile(path)).equals(model.data), 'file on disk differs from the model at the end');
    const counters = cache.counters();
    assert.equal(counters.splicedPages, 0, 'every spliced page is untagged once released');
    assert.equal(counters.pages.bounce, 0, 'every bounce page came back');
    assert.equal(counters.dirtyPages, 0);
    await cache.close(real.handle);
  } finally {
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ModelRunOptions {
  runs: number;
  seed: number;
  maxCommands?: number;
  /** Cache size in pages; small so eviction and memory pressure happen. */
  maxPages?: number;
  /** Run the cache in write-behind mode instead of handing each write to the kernel. */
  writeBehind?: boolean;
}

export async function runCacheModel(options: ModelRunOptions): Promise<void> {
  const maxPages = options.maxPages ?? 32;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 12 * PAGE_SIZE }), fc.commands(cacheCommands, { maxCommands: options.maxCommands ?? 40, size: 'max' }), (size, commands) =>
      runSequence(size, commands, maxPages, options.writeBehind ?? false),
    ),
    { numRuns: options.runs, seed: options.seed, endOnFailure: true },
  );
}

const HALF = PAGE_SIZE / 2;

/** Each write stays inside its own half page, so concurrent writes never overlap and the result is fixed. */
const halfPageWriteArb = fc.record({ slot: fc.integer({ min: 0, max: 31 }), at: fc.integer({ min: 0, max: HALF - 1 }), len: fc.integer({ min: 1, max: HALF }), value: fc.integer({ min: 1, max: 255 }) });
const readArb = fc.record({ offset: fc.integer({ min: 0, max: 16 * PAGE_SIZE }), length: fc.integer({ min: 1, max: 6 * PAGE_SIZE }) });

/**
 * Concurrent writes (each inside its own half page, so the end state is fixed), reads and
 * flushes in a tiny cache: every read byte is old or new, the final file is exact.
 * Returns the bytes that had to be written straight to disk under memory pressure.
 */
export async function runConcurrentModel(options: { runs: number; seed: number; writeBehind?: boolean }): Promise<number> {
  let writeThroughSeen = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 16 * PAGE_SIZE }),
      fc.uniqueArray(halfPageWriteArb, { selector: (w) => w.slot, maxLength: 12 }),
      fc.array(readArb, { maxLength: 8 }),
      fc.integer({ min: 4, max: 12 }),
      fc.array(fc.boolean(), { maxLength: 3 }),
      async (size, writes, reads, cachePages, syncs) => {
        const dir = await mkdtemp(join(tmpdir(), 'spliced-conc-'));
        const path = join(dir, 'f.bin');
        const initial = Buffer.alloc(size, 0xaa);
        await writeFile(path, initial);
        const cache = new PageCache({ maxBytes: cachePages * PAGE_SIZE, slabBytes: 2 * PAGE_SIZE, pressureWaitMs: 1, writebackIntervalMs: 0, writeBehind: options.writeBehind });
        try {
          const handle = await cache.open(path, { writable: true });
          let expected = Buffer.from(initial);
          for (const w of writes) {
            const start = w.slot * HALF + Math.min(w.at, HALF - w.len);
            if (start + w.len > expected.length) expected = Buffer.concat([expected, Buffer.alloc(start + w.len - expected.length)]);
            expected.fill(w.value, start, start + w.len);
          }
          const ops: Array<Promise<unknown>> = writes.map((w) => cache.write(handle, w.slot * HALF + Math.min(w.at, HALF - w.len), Buffer.alloc(w.len, w.value)));
          const results = reads.map((r) => cache.spliceToBvecs(handle, r.offset, r.length));
          ops.push(...results);
          // Writeback and FLUSH racing with the writes must not lose or tear any of them.
          ops.push(...syncs.map((durable) => (durable ? cache.flush(handle) : cache.writeback(handle))));
          await Promise.all(ops);
          for (const [k, pending] of results.entries()) {
            const result = await pending;
            const got = Buffer.concat(result.bvecs.map((b) => b.bytes()));
            const { offset } = reads[k];
            for (let i = 0; i < got.length; i++) {
              const now = expected[offset + i] ?? 0;
              assert.ok(got[i] === 0xaa || got[i] === now || got[i] === 0, `read ${k} byte ${offset + i}: ${got[i]}`);
            }
            cache.release(result);
          }
          assert.ok((await cache.read(handle, 0, expected.length + PAGE_SIZE)).equals(expected), 'final content');
          await cache.flush(handle);
          assert.ok((await readFile(path)).equals(expected), 'disk after flush');
          assert.equal(cache.counters().splicedPages, 0);
          writeThroughSeen += cache.counters().writeThroughBytes;
          await cache.close(handle);
        } finally {
          await cache.shutdown();
          await rm(dir, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: options.runs, seed: options.seed },
  );
  return writeThroughSeen;
}
