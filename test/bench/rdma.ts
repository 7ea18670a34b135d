/**
 * bench:rdma — SMB Direct in the soft-RoCE VM (test/vm), one boot, side by side: the kernel cifs
 * client (rebuilt with SMB Direct) mounts -o rdma,vers=3.0,cache=none and moves one file with
 * 1 MiB direct I/O from ksmbd (rebuilt with SMB Direct), spliced (zero-copy) and spliced with
 * `rdma zero copy = no` (bounce copies); ib_write_bw (1 MiB messages) gives the ceiling.
 * Prints progress while the VM runs, then a table (medians) and the ratios.
 * Goal: spliced read >= 0.9x ib_write_bw and >= 1.2x ksmbd; zero-copy uses less CPU than copy.
 *
 *   npm run bench:rdma -- [--size-mib 64] [--rounds 3] [--jobs 4] [--servers 'spliced ksmbd'] [--profile]
 *
 * --jobs: concurrent dd streams, each over its own slice of the file (the queue depth the
 * servers see); 1 measures one request at a time, where the client's own latency dominates.
 * --profile: V8 CPU profiles of spliced (.cpuprofile, for Chrome DevTools) in the run's bench/ dir.
 *
 * Under TCG emulation every figure is small (rxe moves ~25 MB/s); the ratios are what compare.
 * The guest side is test/bench/rdma-guest.sh (it says how CPU is measured).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lastLines, vmUnavailableReason } from '../support/vm.js';
import { runInVmLive } from '../support/vm-live.js';
import { smbDirectGuestEnv, smbDirectKit } from '../support/smb-direct-kit.js';
import { addGuestUser, buildSplicedForGuest } from '../support/guest-build.js';
import { ceilingMBps, describeCeiling, type PerftestCeiling } from '../support/perftest-ceiling.js';
import { median } from './lib/stats.js';

const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '4' },
    servers: { type: 'string', default: 'ksmbd spliced spliced-copy' },
    profile: { type: 'boolean', default: false },
  },
});
const GUEST_BUILD = '.cache/vm/bench-dist';
const USERS_FILE = '.cache/vm/bench-users';
const ACCOUNT = { CIFS_USER: 'benchuser', CIFS_PASSWORD: 'Bench-Rdma-1' };
const SERVERS = [
  { id: 'spliced', label: 'spliced (zero-copy)' },
  { id: 'spliced-copy', label: 'spliced (rdma zero copy = no)' },
  { id: 'ksmbd', label: 'ksmbd' },
] as const;
const GiB = 1024 ** 3;

interface Measurement {
  server: string;
  op?: 'read' | 'write';
  bytes?: number;
  seconds?: number;
  serverCpu?: number;
  guestCpu?: number;
  error?: string;
}

interface Row {
  label: string;
  read?: number;
  write?: number;
  readServerCpu?: number;
  readGuestCpu?: number;
  writeServerCpu?: number;
  writeGuestCpu?: number;
  errors: string[];
}

const say = (line: string): void => console.log(line);

function readMeasurements(outDir: string): Measurement[] {
  const file = join(outDir, 'bench', 'results.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Measurement);
}

/** Medians of one server's measurements: MB/s (10^6 bytes) and CPU seconds per GiB moved. */
function summarise(label: string, ms: Measurement[]): Row {
  const row: Row = { label, errors: ms.filter((m) => m.error).map((m) => m.error!) };
  for (const op of ['read', 'write'] as const) {
    const runs = ms.filter((m) => m.op === op && m.seconds && m.bytes);
    if (!runs.length) continue;
    row[op] = median(runs.map((m) => m.bytes! / m.seconds! / 1e6));
    const serverCpu = median(runs.map((m) => (m.serverCpu! * GiB) / m.bytes!));
    const guestCpu = median(runs.map((m) => (m.guestCpu! * GiB) / m.bytes!));
    if (op === 'read') Object.assign(row, { readServerCpu: serverCpu, readGuestCpu: guestCpu });
    else Object.assign(row, { writeServerCpu: serverCpu, writeGuestCpu: guestCpu });
  }
  return row;
}

const fmt = (x: number | undefined, digits = 1): string => (x === undefined ? '—' : x.toFixed(digits));
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);

function printTable(rows: Row[], ceiling: PerftestCeiling | undefined): void {
  const header = ['server', 'read MB/s', 'write MB/s', 'read CPU s/GiB (server | guest)', 'write CPU s/GiB (server | guest)'];
  const lines = rows.map((r) => [
    r.label,
    fmt(r.read),
    fmt(r.write),
    r.read === undefined ? '—' : `${fmt(r.readServerCpu, 2)} | ${fmt(r.readGuestCpu, 2)}`,
    r.write === undefined ? '—' : `${fmt(r.writeServerCpu, 2)} | ${fmt(r.writeGuestCpu, 2)}`,
  ]);
  if (ceiling) lines.push(['ib_write_bw (1 MiB)', fmt(ceilingMBps(ceiling)), '', '', '']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const show = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  say('');
  say(show(header));
  say(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) say(show(l));
  for (const r of rows) for (const e of r.errors) say(`${r.label}: FAILED: ${e}`);
}

function printRatios(rows: Map<string, Row>, ceiling: PerftestCeiling | undefined): void {
  const zc = rows.get('spliced')!;
  const copy = rows.get('spliced-copy')!;
  const ksmbd = rows.get('ksmbd')!;
  const ceilingFigure = ceiling ? ceilingMBps(ceiling) || undefined : undefined;
  say('');
  say(`spliced read / ib_write_bw:        ${ratio(zc.read, ceilingFigure)}   (goal >= 0.9x)`);
  say(`spliced read / ksmbd read:         ${ratio(zc.read, ksmbd.read)}   (goal >= 1.2x)`);
  say(`spliced write / ksmbd write:       ${ratio(zc.write, ksmbd.write)}`);
  say(`ksmbd read / ib_write_bw:          ${ratio(ksmbd.read, ceilingFigure)}`);
  say(`read CPU/GiB, zero-copy vs copy:   server ${ratio(zc.readServerCpu, copy.readServerCpu)}, guest ${ratio(zc.readGuestCpu, copy.readGuestCpu)}   (goal < 1x)`);
  say(`read CPU/GiB, spliced vs ksmbd:    guest ${ratio(zc.readGuestCpu, ksmbd.readGuestCpu)}`);
  say('CPU: "server" is the spliced process (utime+stime) or the ksmbd* kernel threads (ksmbd also works in shared');
  say('kworkers, so its figure is a lower bound); "guest" is all busy CPU of the VM (client, rxe and server).');
}

async function main(): Promise<number> {
  const unavailable = vmUnavailableReason();
  if (unavailable) {
    say(`bench:rdma: ${unavailable}; run test/vm/prepare.sh`);
    return 2;
  }
  const kit = smbDirectKit();
  if (typeof kit === 'string') {
    say(`bench:rdma: ${kit}`);
    return 2;
  }
  say('bench:rdma: compiling spliced for the guest');
  buildSplicedForGuest(GUEST_BUILD, (line) => say(`bench:rdma: ${line}`));
  addGuestUser(GUEST_BUILD, USERS_FILE, ACCOUNT.CIFS_USER, ACCOUNT.CIFS_PASSWORD);
  say(`bench:rdma: booting the VM (TCG; ${values['size-mib']} MiB x ${values.rounds} rounds per server in ${values.jobs} concurrent streams, a few minutes)`);
  const started = Date.now();
  const run = await runInVmLive({
    command: ['bash', 'test/bench/rdma-guest.sh'],
    env: {
      SPLICED_CLI: `${GUEST_BUILD}/cli/main.js`,
      CIFS_USERS_FILE: USERS_FILE,
      BENCH_MIB: String(Number(values['size-mib'])),
      BENCH_ROUNDS: String(Number(values.rounds)),
      BENCH_JOBS: String(Number(values.jobs)),
      BENCH_SERVERS: values.servers,
      BENCH_PROFILE: values.profile ? '1' : '',
      ...ACCOUNT,
      ...smbDirectGuestEnv(kit),
    },
    timeoutMs: 1_200_000,
    prefix: 'bench: ',
    onLine: (line) => say(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line.slice('bench: '.length)}`),
  });
  say(`bench:rdma: VM finished in ${((Date.now() - started) / 1000).toFixed(0)} s (exit ${run.exitCode}); output in ${run.outDir}`);
  const ceilingFile = join(run.outDir, 'bench', 'ib_write_bw.json');
  const ceiling = existsSync(ceilingFile) ? (JSON.parse(readFileSync(ceilingFile, 'utf8')) as PerftestCeiling) : undefined;
  if (ceiling) say(describeCeiling(ceiling));
  const measurements = readMeasurements(run.outDir);
  if (!measurements.length) {
    say(`bench:rdma: the guest produced no measurements:\n${lastLines(run.output, 30)}`);
    return 1;
  }
  const rows = new Map(SERVERS.map((s) => [s.id as string, summarise(s.label, measurements.filter((m) => m.server === s.id))]));
  printTable([...rows.values()], ceiling);
  printRatios(rows, ceiling);
  return [...rows.values()].some((r) => r.errors.length) ? 1 : 0;
}

process.exitCode = await main();
