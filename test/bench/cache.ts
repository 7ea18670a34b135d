/**
 * Page-cache benchmark: 1 MiB reads over a cached file, spliced (zero-copy) against
 * forced copy, side by side in one run. The consumer is the same for both: the chunks
 * are written to /dev/null with one writev, as the TCP transport would send them.
 *
 *   tsx test/bench/cache.ts [size] [rounds]      size like 1G, 256M (default 1G; or CACHE_BENCH_SIZE)
 *
 * Goal: the zero-copy path costs at most 0.3x the copy path's CPU per GiB and allocates
 * no per-request buffer of 4 KiB or more (arrayBuffers growth is printed).
 */
import { closeSync, openSync, writevSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PageCache, type CacheHandle } from '../../cache/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const REQUEST = MiB;

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!match) throw new Error(`bad size: ${text}`);
  const unit = { '': 1, K: 1024, M: MiB, G: GiB }[match[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.floor((Number(match[1]) * unit) / REQUEST) * REQUEST;
}

async function makeFile(path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  const block = Buffer.alloc(8 * MiB);
  for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 0xff;
  for (let at = 0; at < size; at += block.length) await file.write(block, 0, Math.min(block.length, size - at), at);
  await file.close();
}

interface PassResult {
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  requests: number;
  /** Largest rise of process.memoryUsage().arrayBuffers seen during the pass. */
  arrayBufferGrowth: number;
}

async function pass(cache: PageCache, handle: CacheHandle, size: number, forceCopy: boolean, sink: number): Promise<PassResult> {
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = baseline;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let requests = 0;
  for (let offset = 0; offset < size; offset += REQUEST) {
    const result = await cache.spliceToBvecs(handle, offset, REQUEST, { forceCopy });
    const chunks = new Array<Buffer>(result.bvecs.length);
    for (let i = 0; i < chunks.length; i++) chunks[i] = result.bvecs[i].bytes();
    writevSync(sink, chunks);
    cache.release(result);
    if (++requests % 64 === 0) peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6, bytes: size, requests, arrayBufferGrowth: peak - baseline };
}

function add(total: PassResult, one: PassResult): void {
  total.seconds += one.seconds;
  total.cpuSeconds += one.cpuSeconds;
  total.bytes += one.bytes;
  total.requests += one.requests;
  total.arrayBufferGrowth = Math.max(total.arrayBufferGrowth, one.arrayBufferGrowth);
}

function row(name: string, r: PassResult): string {
  const gib = r.bytes / GiB;
  return [
    name.padEnd(10),
    `${(gib / r.seconds).toFixed(2).padStart(7)} GiB/s`,
    `${(r.cpuSeconds / gib).toFixed(4).padStart(8)} CPU s/GiB`,
    `arrayBuffers +${(r.arrayBufferGrowth / 1024).toFixed(0)} KiB peak (${(r.arrayBufferGrowth / r.requests).toFixed(0)} B/request)`,
  ].join('  ');
}

async function main(): Promise<void> {
  const size = parseSize(process.argv[2] ?? process.env.CACHE_BENCH_SIZE ?? '1G');
  const rounds = Number(process.argv[3] ?? process.env.CACHE_BENCH_ROUNDS ?? 3);
  const dir = await mkdtemp(join(tmpdir(), 'spliced-bench-'));
  const path = join(dir, 'big.bin');
  const sink = openSync('/dev/null', 'w');
  const cache = new PageCache({ maxBytes: size + 64 * MiB, writebackIntervalMs: 0 });
  try {
    console.log(`cache bench: ${(size / MiB).toFixed(0)} MiB file, ${REQUEST / 1024} KiB requests, ${rounds} rounds, consumer = writev to /dev/null`);
    await makeFile(path, size);
    const handle = await cache.open(path);
    await pass(cache, handle, size, false, sink); // fill the cache
    await pass(cache, handle, size, true, sink); // warm the copy path too
    const empty = (): PassResult => ({ seconds: 0, cpuSeconds: 0, bytes: 0, requests: 0, arrayBufferGrowth: 0 });
    const spliced = empty();
    const copied = empty();
    for (let round = 0; round < rounds; round++) {
      add(spliced, await pass(cache, handle, size, false, sink));
      add(copied, await pass(cache, handle, size, true, sink));
    }
    console.log(row('spliced', spliced));
    console.log(row('copy', copied));
    const ratio = spliced.cpuSeconds / spliced.bytes / (copied.cpuSeconds / copied.bytes);
    const perRequest = spliced.arrayBufferGrowth / spliced.requests;
    console.log(`CPU per GiB, spliced / copy: ${ratio.toFixed(3)} (goal <= 0.3: ${ratio <= 0.3 ? 'met' : 'NOT met'})`);
    console.log(`spliced path ArrayBuffer growth per request: ${perRequest.toFixed(0)} B (goal < 4096: ${perRequest < 4096 ? 'met' : 'NOT met'})`);
    const c = cache.counters();
    console.log(`counters: zero-copy ${(c.zeroCopyBytes / GiB).toFixed(2)} GiB, copied ${(c.copiedBytes / GiB).toFixed(2)} GiB, hits ${c.hits}, misses ${c.misses}, slabs ${c.slabs}`);
    await cache.close(handle);
  } finally {
    closeSync(sink);
    await cache.shutdown();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
