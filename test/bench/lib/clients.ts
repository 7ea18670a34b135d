/**
 * The load generators the benchmark table drives, each a separate process so that its CPU is
 * never counted as the server's: smbclient, smbtorture, iperf3 and spliced's own client
 * (io-driver.ts). Each returns what it did and the wall time it took.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitForPort } from '../../support/net.js';

const BENCH_SHARE = 'bench';

export interface Done {
  /** Units of work done: bytes, requests, listings. */
  amount: number;
  seconds: number;
}

function elapsed(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function smbclientArgs(port: number, commands: string): string[] {
  return [`//127.0.0.1/${BENCH_SHARE}`, '-p', String(port), '-N', '-m', 'SMB3', '-c', commands];
}

function checkSmbclient(what: string, status: number | null, output: string): void {
  if (status !== 0 || /NT_STATUS_/.test(output)) throw new Error(`smbclient ${what} failed: ${output.slice(-600)}`);
}

/** One smbclient process running `commands`; resolves with its wall time. */
export function smbclient(port: number, commands: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('smbclient', smbclientArgs(port, commands), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = elapsed(t0);
  checkSmbclient(commands.slice(0, 60), r.status, r.stdout + r.stderr);
  return seconds;
}

/** `count` smbclient processes at once, each running its own commands; resolves when all ended. */
export async function smbclients(port: number, commandsOf: (i: number) => string, count: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const commands = commandsOf(i);
      return new Promise<void>((resolve, reject) => {
        const child = spawn('smbclient', smbclientArgs(port, commands), { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.on('error', reject);
        child.on('close', (status) => {
          try {
            checkSmbclient(commands.slice(0, 60), status, output);
            resolve();
          } catch (err) {
            reject(err);
          }
        });
      });
    }),
  );
  return elapsed(t0);
}

/** smbtorture `test` for `seconds`; returns the requests it counted (its per-second num/s lines). */
export function smbtorture(port: number, test: string, seconds: number): Done {
  const r = spawnSync(
    'smbtorture',
    [`//127.0.0.1/${BENCH_SHARE}`, '-p', String(port), '-U', 'nobody%x', `--option=torture:timelimit=${seconds}`, test],
    { encoding: 'utf8', timeout: (seconds + 60) * 1000 },
  );
  const output = r.stdout + r.stderr;
  if (r.status !== 0) throw new Error(`smbtorture ${test} failed: ${output.slice(-800)}`);
  const rates = [...output.matchAll(/num\/s=(\d+)/g)].map((m) => Number(m[1]));
  if (rates.length === 0) throw new Error(`smbtorture ${test} printed no rate: ${output.slice(-800)}`);
  return { amount: rates.reduce((a, b) => a + b, 0), seconds: rates.length };
}

export interface DriverRun extends Done {
  clientCpu: number;
}

/** test/bench/lib/io-driver.ts in a child node process (see there for the arguments). */
export function ioDriver(port: number, args: string[]): DriverRun {
  const driver = join(import.meta.dirname, 'io-driver.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', driver, '--port', String(port), ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`io-driver ${args.join(' ')} failed: ${(r.stdout + r.stderr).slice(-800)}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ops: number; seconds: number; clientCpu: number };
  return { amount: result.ops, seconds: result.seconds, clientCpu: result.clientCpu };
}

/** The loopback ceiling: iperf3, one TCP stream for `seconds`, in bytes per second. Null without iperf3. */
export async function iperf3Ceiling(seconds: number): Promise<number | null> {
  if (spawnSync('sh', ['-c', 'command -v iperf3'], { stdio: 'ignore' }).status !== 0) return null;
  const port = await freePort();
  const server = spawn('iperf3', ['-s', '-p', String(port), '-B', '127.0.0.1'], { stdio: 'ignore' });
  try {
    await waitForPort(port, 10_000);
    const r = spawnSync('iperf3', ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-J'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`iperf3 failed: ${r.stdout.slice(-400)}${r.stderr}`);
    const report = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 8;
  } finally {
    server.kill();
  }
}
