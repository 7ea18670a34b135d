/**
 * The workloads of `npm run bench`, one row each: what the share must hold, how a side is
 * warmed up, what one round does, the units it is counted in and the goal (issue 12).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import { ioDriver, smbclient, smbclients, smbtorture, type Done } from './clients.js';
import type { Side } from './sides.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** How big the benchmark is: the full table or the quick mode CI runs. */
export interface Scale {
  fileBytes: number;
  randomFileBytes: number;
  seconds: number;
  rounds: number;
  clients: number;
  smallClients: number;
  smallFiles: number;
  listingEntries: number;
  cacheBytes: number;
}

export const FULL: Scale = {
  fileBytes: GiB, randomFileBytes: 256 * MiB, seconds: 5, rounds: 5, clients: 8,
  smallClients: 32, smallFiles: 250, listingEntries: 10_000, cacheBytes: 2 * GiB,
};
/**
 * In both scales the cache holds exactly the file of the cached-read row and the files of the
 * concurrent clients, so the cold-read row after them evicts as a running server does (fresh
 * cache memory costs page faults and, as V8 counts its slabs, collections on its first use).
 */
export const QUICK: Scale = {
  fileBytes: 128 * MiB, randomFileBytes: 64 * MiB, seconds: 2, rounds: 3, clients: 8,
  smallClients: 8, smallFiles: 50, listingEntries: 2_000, cacheBytes: 256 * MiB,
};

export interface Unit {
  /** Printed after the figure: GB/s, req/s. */
  label: string;
  /** amount / per = the figure's numerator (1e9 bytes for GB/s). */
  per: number;
}

export interface Row {
  key: string;
  title: string;
  rate: Unit;
  /** CPU is printed in `cpu.label` per `cpu.per` units of amount. */
  cpu: { label: string; per: number; scale: number };
  /** Least spliced/Samba throughput ratio that meets the goal. */
  goalRatio: number;
  /** Before each round, on each side. */
  beforeRound?(side: Side): Promise<void>;
  /** Once per side before the rounds (fill the page caches). */
  warm?(side: Side): Promise<void>;
  run(side: Side): Promise<Done>;
  /** Sample the servers' resident memory while it runs. */
  sampleMemory?: boolean;
}

/** The share's fixed contents: built once, kept between runs when already right. */
export interface ShareFiles {
  share: string;
  big: string;
  random: string;
  putSource: string;
  /** A file of its own per round of the cold-read row, so that no round finds it in spliced's cache. */
  cold(round: number): string;
}

/** Cold-read files: one per round, twice over (the guard may measure a row again). */
function coldFiles(scale: Scale): number {
  return 2 * scale.rounds;
}

function makeRandomFile(path: string, bytes: number, mode: number): void {
  if (!existsSync(path) || statSync(path).size !== bytes) {
    const fd = openSync(path, 'w');
    const block = Buffer.allocUnsafe(8 * MiB);
    for (let done = 0; done < bytes; done += block.length) writeSync(fd, randomFillSync(block), 0, Math.min(block.length, bytes - done));
    closeSync(fd);
  }
  chmodSync(path, mode);
}

function makeDirectory(dir: string, entries: number, bytes: number): void {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777);
  const data = Buffer.alloc(bytes, 0x61);
  for (let i = 0; i < entries; i++) {
    const path = join(dir, `f${String(i).padStart(5, '0')}`);
    if (!existsSync(path)) writeFileSync(path, data);
  }
}

export function prepareShare(share: string, scale: Scale): ShareFiles {
  mkdirSync(share, { recursive: true });
  chmodSync(share, 0o777); // Samba writes as its guest account
  const files = {
    share,
    big: join(share, 'big.bin'),
    random: join(share, 'random.bin'),
    putSource: '/dev/shm/spliced-bench-put.bin', // in memory: the client reads no disk
    cold: (round: number) => join(share, 'cold', `cold${round}.bin`),
  };
  makeRandomFile(files.big, scale.fileBytes, 0o644);
  makeRandomFile(files.random, scale.randomFileBytes, 0o666);
  makeRandomFile(files.putSource, scale.fileBytes, 0o644);
  mkdirSync(join(share, 'cold'), { recursive: true });
  for (let round = 0; round < coldFiles(scale); round++) makeRandomFile(files.cold(round), scale.fileBytes, 0o644);
  mkdirSync(join(share, 'clients'), { recursive: true });
  for (let c = 0; c < scale.clients; c++) makeRandomFile(join(share, 'clients', `c${c}.bin`), scale.fileBytes / scale.clients, 0o644);
  for (let c = 0; c < scale.smallClients; c++) makeDirectory(join(share, 'small', `c${c}`), scale.smallFiles, 4096);
  makeDirectory(join(share, `dir${scale.listingEntries}`), scale.listingEntries, 0);
  return files;
}

/** Read a file through the OS page cache, so that "cold" means cold in the server only. */
function osCache(path: string): void {
  spawnSync('cat', [path], { stdio: ['ignore', 'ignore', 'ignore'] });
}

/** How often each concurrent client reads its own file in one round. */
const CLIENT_PASSES = 4;
const bytesRate: Unit = { label: 'GB/s', per: 1e9 };
const perGiB = { label: 's/GiB', per: GiB, scale: 1 };
const perRequest = (what: string) => ({ label: `µs/${what}`, per: 1, scale: 1e6 });

/*
 * Concurrent clients each work on files of their own, and the random-I/O and open+close rows use
 * one connection with many requests in flight (as the kernel client does): opens of one file from
 * several connections break Samba 4.17 here (CLOSE fails with INVALID_PARAMETER, "Did not find
 * share mode entry"; WRITE panics with "lock order violation" in smbd_contend_level2_oplocks_begin;
 * smbtorture's smb2.bench.path-contention-shared panics it with "Could not unlock share mode").
 */
function randomRow(scale: Scale, op: 'read4k' | 'write4k', depth: number): Row {
  return {
    key: `${op}-qd${depth}`,
    title: `random 4 KiB ${op === 'read4k' ? 'reads' : 'writes'}, queue depth ${depth}`,
    rate: { label: 'IOPS', per: 1 },
    cpu: perRequest('IO'),
    goalRatio: 1,
    // Reads are of a cached file: fill spliced's cache (and the OS's) first.
    warm: async (side) => void (op === 'read4k' && smbclient(side.port, 'get random.bin /dev/null')),
    run: async (side) =>
      ioDriver(side.port, [
        '--op', op, '--file', 'random.bin', '--file-mib', String(scale.randomFileBytes / MiB),
        '--depth', String(depth), '--seconds', String(scale.seconds),
      ]),
  };
}

/**
 * The first read of a file the OS has cached and the running server has not: each side reads a
 * file of its own that round (after cat put it in the OS cache). Spliced keeps running, as a
 * server does: its cache memory is in use by then (the rows before fill it), so this measures
 * filling and read-ahead, not the first touch of new memory after a restart.
 */
function coldRow(scale: Scale, files: ShareFiles, size: string): Row {
  const next = { spliced: 0, samba: 0 };
  const fileOf = (side: Side) => `cold/cold${next[side.name] % coldFiles(scale)}.bin`;
  return {
    key: 'cold-read', title: `cold read (file in the OS cache only), get ${size}`, rate: bytesRate, cpu: perGiB, goalRatio: 1,
    beforeRound: async (side) => osCache(join(files.share, fileOf(side))),
    run: async (side) => {
      const seconds = smbclient(side.port, `get ${fileOf(side)} /dev/null`);
      next[side.name]++;
      return { amount: scale.fileBytes, seconds };
    },
  };
}

export function rows(scale: Scale, files: ShareFiles): Row[] {
  const size = `${scale.fileBytes >= GiB ? `${scale.fileBytes / GiB} GiB` : `${scale.fileBytes / MiB} MiB`}`;
  const listing = `dir${scale.listingEntries}`;
  const getSmall = (client: number) =>
    Array.from({ length: scale.smallFiles }, (_, i) => `get small/c${client}/f${String(i).padStart(5, '0')} /dev/null`).join('; ');
  /** Each of the concurrent clients reads its own part of the data, CLIENT_PASSES times. */
  const getOwn = (client: number) => Array(CLIENT_PASSES).fill(`get clients/c${client}.bin /dev/null`).join('; ');
  return [
    {
      key: 'cached-read', title: `cached read, smbclient get ${size}`, rate: bytesRate, cpu: perGiB, goalRatio: 2,
      warm: async (side) => void smbclient(side.port, 'get big.bin /dev/null'),
      run: async (side) => ({ amount: scale.fileBytes, seconds: smbclient(side.port, 'get big.bin /dev/null') }),
    },
    {
      key: 'clients', title: `${scale.clients} clients at once, each ${CLIENT_PASSES} gets of its own 1/${scale.clients} of ${size}`, rate: bytesRate, cpu: perGiB,
      goalRatio: 1, sampleMemory: true,
      warm: async (side) => void (await smbclients(side.port, (c) => `get clients/c${c}.bin /dev/null`, scale.clients)),
      run: async (side) => ({ amount: CLIENT_PASSES * scale.fileBytes, seconds: await smbclients(side.port, getOwn, scale.clients) }),
    },
    coldRow(scale, files, size),
    {
      key: 'put', title: `write, smbclient put ${size} from /dev/shm`, rate: bytesRate, cpu: perGiB, goalRatio: 1.2,
      run: async (side) => ({ amount: scale.fileBytes, seconds: smbclient(side.port, `put ${files.putSource} put-${side.name}.bin`) }),
    },
    randomRow(scale, 'read4k', 1),
    randomRow(scale, 'read4k', 32),
    randomRow(scale, 'write4k', 1),
    randomRow(scale, 'write4k', 32),
    {
      key: 'echo', title: 'smbtorture smb2.bench.echo (4 conns)', rate: { label: 'req/s', per: 1 }, cpu: perRequest('req'), goalRatio: 1,
      run: async (side) => smbtorture(side.port, 'smb2.bench.echo', scale.seconds),
    },
    {
      key: 'open-close', title: 'open+close of one file, 16 in flight', rate: { label: 'op/s', per: 1 }, cpu: perRequest('op'), goalRatio: 1,
      run: async (side) => ioDriver(side.port, ['--op', 'openclose', '--file', 'big.bin', '--depth', '16', '--seconds', String(scale.seconds)]),
    },
    {
      key: 'small-gets', title: `${scale.smallClients} clients x ${scale.smallFiles} gets of 4 KiB files`, rate: { label: 'files/s', per: 1 }, cpu: perRequest('file'), goalRatio: 1,
      warm: async (side) => void (await smbclients(side.port, getSmall, scale.smallClients)),
      run: async (side) => ({ amount: scale.smallClients * scale.smallFiles, seconds: await smbclients(side.port, getSmall, scale.smallClients) }),
    },
    {
      key: 'listing', title: `ls of a ${scale.listingEntries}-entry directory (x3 per client)`, rate: { label: 'ls/s', per: 1 },
      cpu: { label: 'ms/ls', per: 1, scale: 1e3 }, goalRatio: 1,
      warm: async (side) => void smbclient(side.port, `ls ${listing}/*`),
      run: async (side) => ({ amount: 3, seconds: smbclient(side.port, Array(3).fill(`ls ${listing}/*`).join('; ')) }),
    },
  ];
}
