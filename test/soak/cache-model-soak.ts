/**
 * Soak of the page-cache model (test/support/cache-model.ts), in the default mode and in
 * write-behind mode: the sequential model `runs` times, then the concurrency property runs/4 times.
 *   tsx test/soak/cache-model-soak.ts [runs] [seed]     (or CACHE_SOAK_RUNS / CACHE_SOAK_SEED; npm run soak:cache)
 */
import { runCacheModel, runConcurrentModel } from '../support/cache-model.js';

const runs = Number(process.argv[2] ?? process.env.CACHE_SOAK_RUNS ?? 5000);
const seed = Number(process.argv[3] ?? process.env.CACHE_SOAK_SEED ?? Date.now() % 2 ** 31);
const started = Date.now();
console.log(`cache model soak: ${runs} runs, seed ${seed}`);
for (const writeBehind of [false, true]) {
  await runCacheModel({ runs, seed, maxCommands: 80, writeBehind });
  await runConcurrentModel({ runs: Math.ceil(runs / 4), seed, writeBehind });
}
console.log(`ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
