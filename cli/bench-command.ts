/**
 * `spliced bench NAME [ARGS...]`: run test/bench/NAME.ts through tsx with the
 * arguments passed through untouched, and exit with its status.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, SplicedError } from '../ops/errors.js';
import { packageRoot } from './repo-root.js';

/** test/bench of the package; SPLICED_BENCH_DIR points elsewhere (tests of this command). */
function benchDir(): string {
  return process.env.SPLICED_BENCH_DIR || join(packageRoot(), 'test', 'bench');
}

export function availableBenchmarks(): string[] {
  try {
    return readdirSync(benchDir())
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => f.slice(0, -3))
      .sort();
  } catch {
    return [];
  }
}

export function runBenchmark(name: string, args: string[]): Promise<number> {
  const root = packageRoot();
  const script = join(benchDir(), `${name}.ts`);
  if (!/^[a-z0-9-]+$/i.test(name) || !existsSync(script)) {
    const known = availableBenchmarks();
    throw new SplicedError(ERROR_CODES.BENCH_UNKNOWN, `unknown benchmark "${name}" (available: ${known.join(', ') || 'none'})`);
  }
  const child = spawn('npx', ['tsx', script, ...args], { cwd: root, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}
