/**
 * bench:tcp — smbclient reads one cached file (default 1 GiB) from spliced and from Samba smbd,
 * same client, same run, alternating rounds (`--op put`: writes one from /dev/shm instead). Prints medians (GB/s), server CPU seconds per GiB,
 * and the spliced/Samba ratio. Goal: spliced >= 1.2x Samba.
 *
 * spliced runs twice: with its page cache sized to hold the file (READ data goes from cache
 * pages to the socket, zero-copy) and with `cache size = 0` (plain positional reads, copied),
 * to show what the cache does to the TCP read path.
 *
 *   npm run bench:tcp -- [--size-mib 1024] [--rounds 5] [--dialect SMB3] [--op get|put]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, statSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from '../support/net.js';
import { startSamba, sambaAvailable } from './lib/samba.js';
import { startSpliced } from './lib/spliced.js';
import type { ServerProcess } from './lib/child.js';
import { median, processCpuSeconds, processGroupCpuSeconds } from './lib/stats.js';
import { progressBar } from '../../ops/progress.js';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '5' },
    dialect: { type: 'string', default: 'SMB3' },
    op: { type: 'string', default: 'get' },
  },
});
const put = values.op === 'put';
if (!put && values.op !== 'get') throw new Error(`--op must be get or put, not ${values.op}`);
/** The source of every put: in memory, so the client side reads no disk. */
const PUT_SOURCE = '/dev/shm/spliced-bench-put.bin';
const sizeBytes = Number(values['size-mib']) * 1024 * 1024;
const rounds = Number(values.rounds);
const GiB = 1024 ** 3;

function makeFile(path: string, bytes: number): void {
  try {
    if (statSync(path).size === bytes) return;
  } catch {}
  const fd = openSync(path, 'w');
  const block = Buffer.allocUnsafe(8 * 1024 * 1024);
  const bar = progressBar({ label: 'test file', total: bytes, unit: 'bytes' });
  for (let done = 0; done < bytes; done += block.length) {
    randomFillSync(block);
    writeSync(fd, block, 0, Math.min(block.length, bytes - done));
    bar.tick(Math.min(block.length, bytes - done));
  }
  bar.done();
  closeSync(fd);
}

/** One smbclient get (or put, with --op put) of the whole file; returns the seconds it took. */
function smbclientTransfer(port: number): number {
  const command = put ? `put ${PUT_SOURCE} put-${port}.bin` : 'get big.bin /dev/null';
  const t0 = process.hrtime.bigint();
  const r = spawnSync('smbclient', ['//127.0.0.1/bench', '-p', String(port), '-N', '-m', values.dialect!, '-c', command], {
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 || !(put ? /putting file/ : /getting file/).test(r.stdout + r.stderr) || /NT_STATUS_/.test(r.stdout + r.stderr)) {
    throw new Error(`smbclient ${values.op} failed on port ${port}: ${r.stdout}${r.stderr}`);
  }
  return seconds;
}

interface Side {
  name: string;
  port: number;
  /** CPU seconds of the server so far. */
  cpuNow: () => number;
  seconds: number[];
  cpu: number[];
}

function round(side: Side): void {
  const cpu0 = side.cpuNow();
  const s = smbclientTransfer(side.port);
  side.cpu.push(side.cpuNow() - cpu0);
  side.seconds.push(s);
}

/** One warm-up read per side (it fills the page caches), then alternating rounds. */
function measure(sides: Side[]): void {
  const bar = progressBar({ label: `${values.dialect} ${put ? 'writes' : 'reads'}`, total: (rounds + 1) * sides.length, unit: 'items' });
  for (const side of sides) {
    smbclientTransfer(side.port);
    bar.tick();
  }
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 ? [...sides].reverse() : sides) {
      round(side);
      bar.tick();
    }
  }
  bar.done();
}

async function main(): Promise<void> {
  if (!sambaAvailable()) {
    console.log('SKIP bench:tcp: Samba smbd is missing (apt-get install samba smbclient)');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'spliced-bench-tcp-'));
  const share = join(tmpdir(), 'spliced-bench-share');
  mkdirSync(share, { recursive: true });
  if (put) {
    makeFile(PUT_SOURCE, sizeBytes);
    chmodSync(share, 0o777); // Samba writes as its guest account
  } else makeFile(join(share, 'big.bin'), sizeBytes);
  mkdirSync(join(work, 'spliced'));
  mkdirSync(join(work, 'nocache'));
  const cacheMiB = Math.ceil(sizeBytes / 1024 / 1024) + 64;
  const started: ServerProcess[] = [];
  const start = async (p: Promise<ServerProcess>) => {
    const server = await p;
    started.push(server);
    return server;
  };
  let sides: Side[] = [];
  try {
    const spliced = await start(startSpliced(join(work, 'spliced'), share, await freePort(), [`cache size = ${cacheMiB}M`], put));
    const nocache = await start(startSpliced(join(work, 'nocache'), share, await freePort(), ['cache size = 0'], put));
    const samba = await start(startSamba(join(work, 'samba'), share, await freePort(), put));
    sides = [
      { name: 'spliced', port: spliced.port, cpuNow: () => processCpuSeconds(spliced.pid), seconds: [], cpu: [] },
      { name: 'spliced, cache size = 0', port: nocache.port, cpuNow: () => processCpuSeconds(nocache.pid), seconds: [], cpu: [] },
      // smbd forks a process per connection into its own process group (it is started detached).
      { name: 'samba', port: samba.port, cpuNow: () => processGroupCpuSeconds(samba.pid), seconds: [], cpu: [] },
    ];
    measure(sides);
  } finally {
    for (const server of started) await server.stop();
    rmSync(work, { recursive: true, force: true });
    if (put) for (const side of sides) rmSync(join(share, `put-${side.port}.bin`), { force: true });
  }
  const rate = (side: Side) => sizeBytes / median(side.seconds) / 1e9;
  const cpuPerGiB = (side: Side) => median(side.cpu) / (sizeBytes / GiB);
  console.log(`bench:tcp  smbclient ${values.op} of ${values['size-mib']} MiB, ${values.dialect}, ${rounds} rounds, medians`);
  for (const side of sides) {
    console.log(`  ${side.name.padEnd(24)} ${rate(side).toFixed(3)} GB/s   server CPU ${cpuPerGiB(side).toFixed(3)} s/GiB`);
  }
  const [cached, uncached, samba] = sides;
  const ratio = (a: Side, b: Side) => `${(rate(a) / rate(b)).toFixed(2)}x throughput, ${(cpuPerGiB(a) / cpuPerGiB(b)).toFixed(2)}x CPU per GiB`;
  console.log(`  ratio spliced/samba: ${ratio(cached, samba)} (goal >= 1.2x throughput)`);
  console.log(`  ratio spliced/spliced without cache: ${ratio(cached, uncached)}`);
}

await main();
