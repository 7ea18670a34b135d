/**
 * bench:tcp — smbclient reads one cached file (default 1 GiB) from spliced and from Samba smbd,
 * same client, same run, alternating rounds. Prints medians (GB/s), server CPU seconds per GiB,
 * and the spliced/Samba ratio. Goal: spliced >= 1.2x Samba.
 *
 *   npm run bench:tcp -- [--size-mib 1024] [--rounds 5] [--dialect SMB3]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, statSync, mkdirSync, rmSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort } from './lib/net.js';
import { startSamba, sambaAvailable } from './lib/samba.js';
import { startSpliced } from './lib/spliced.js';
import { median, processCpuSeconds, processGroupCpuSeconds } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    rounds: { type: 'string', default: '5' },
    dialect: { type: 'string', default: 'SMB3' },
  },
});
const sizeBytes = Number(values['size-mib']) * 1024 * 1024;
const rounds = Number(values.rounds);
const GiB = 1024 ** 3;

function makeFile(path: string, bytes: number): void {
  try {
    if (statSync(path).size === bytes) return;
  } catch {}
  const fd = openSync(path, 'w');
  const block = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (let done = 0; done < bytes; done += block.length) {
    randomFillSync(block);
    writeSync(fd, block, 0, Math.min(block.length, bytes - done));
  }
  closeSync(fd);
}

function smbclientGet(port: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('smbclient', ['//127.0.0.1/bench', '-p', String(port), '-N', '-m', values.dialect!, '-c', 'get big.bin /dev/null'], {
    encoding: 'utf8',
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 || !/getting file/.test(r.stdout + r.stderr)) {
    throw new Error(`smbclient get failed on port ${port}: ${r.stdout}${r.stderr}`);
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
  const s = smbclientGet(side.port);
  side.cpu.push(side.cpuNow() - cpu0);
  side.seconds.push(s);
  process.stderr.write(`  ${side.name.padEnd(8)} ${(sizeBytes / s / 1e9).toFixed(3)} GB/s\n`);
}

async function main(): Promise<void> {
  if (!sambaAvailable()) {
    console.log('SKIP bench:tcp: Samba smbd is missing (apt-get install samba smbclient)');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'spliced-bench-tcp-'));
  const share = join(tmpdir(), 'spliced-bench-share');
  mkdirSync(share, { recursive: true });
  makeFile(join(share, 'big.bin'), sizeBytes);
  const samba = await startSamba(join(work, 'samba'), share, await freePort());
  mkdirSync(join(work, 'spliced'));
  const spliced = await startSpliced(join(work, 'spliced'), share, await freePort());
  const sides: Side[] = [
    { name: 'spliced', port: spliced.port, cpuNow: () => processCpuSeconds(spliced.pid), seconds: [], cpu: [] },
    // smbd forks a process per connection into its own process group (it is started detached).
    { name: 'samba', port: samba.port, cpuNow: () => processGroupCpuSeconds(samba.pid), seconds: [], cpu: [] },
  ];
  try {
    process.stderr.write(`warming up (${values['size-mib']} MiB file, ${values.dialect})\n`);
    for (const side of sides) smbclientGet(side.port);
    for (let i = 0; i < rounds; i++) {
      process.stderr.write(`round ${i + 1}/${rounds}\n`);
      for (const side of i % 2 ? [...sides].reverse() : sides) round(side);
    }
  } finally {
    await spliced.stop();
    await samba.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const rate = (side: Side) => sizeBytes / median(side.seconds) / 1e9;
  const cpuPerGiB = (side: Side) => median(side.cpu) / (sizeBytes / GiB);
  console.log(`bench:tcp  smbclient get of ${values['size-mib']} MiB, ${values.dialect}, ${rounds} rounds, medians`);
  for (const side of sides) {
    console.log(`  ${side.name.padEnd(8)} ${rate(side).toFixed(3)} GB/s   server CPU ${cpuPerGiB(side).toFixed(3)} s/GiB`);
  }
  console.log(`  ratio spliced/samba: ${(rate(sides[0]) / rate(sides[1])).toFixed(2)}x throughput (goal >= 1.2x), ` +
    `${(cpuPerGiB(sides[0]) / cpuPerGiB(sides[1])).toFixed(2)}x CPU per GiB`);
}

await main();
