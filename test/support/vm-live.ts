// test/vm/run-in-vm.sh with live output: the lines the guest writes to its output log that start
// with a given prefix are handed over while the VM runs (the log is a file on the shared 9p
// folder, so the host sees it grow). For the benchmark's and the demo's progress.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './vm.js';

export interface LiveVmOptions {
  command: string[];
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Lines of the guest's output that start with this prefix go to onLine as they appear. */
  prefix: string;
  onLine: (line: string) => void;
}

export interface LiveVmRun {
  exitCode: number;
  /** The guest command's whole output (or the harness's diagnosis when the guest failed). */
  output: string;
  /** The guest's $VM_OUT on the host. */
  outDir: string;
}

/** Calls onLine for each complete new line of FILE from OFFSET on; returns the new offset. */
function followFile(file: string, offset: number, prefix: string, onLine: (line: string) => void): number {
  if (!existsSync(file) || statSync(file).size <= offset) return offset;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(statSync(file).size - offset);
    const n = readSync(fd, buf, 0, buf.length, offset);
    const text = buf.subarray(0, n).toString('utf8');
    const end = text.lastIndexOf('\n');
    if (end < 0) return offset;
    for (const line of text.slice(0, end).split('\n')) if (line.startsWith(prefix)) onLine(line);
    return offset + Buffer.byteLength(text.slice(0, end + 1));
  } finally {
    closeSync(fd);
  }
}

export function runInVmLive(options: LiveVmOptions): Promise<LiveVmRun> {
  const runs = join(REPO_ROOT, '.cache', 'vm', 'runs');
  mkdirSync(runs, { recursive: true });
  const outDir = mkdtempSync(join(runs, 'run-'));
  const envPrefix = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const argv = envPrefix.length ? ['env', ...envPrefix, ...options.command] : options.command;
  const log = join(outDir, 'output.log');
  let offset = 0;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(REPO_ROOT, 'test', 'vm', 'run-in-vm.sh'), ...argv], {
      cwd: REPO_ROOT,
      env: { ...process.env, VM_OUT_DIR: outDir, VM_TIMEOUT: String(Math.ceil((options.timeoutMs ?? 600_000) / 1000)) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const timer = setInterval(() => (offset = followFile(log, offset, options.prefix, options.onLine)), 500);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(timer);
      offset = followFile(log, offset, options.prefix, options.onLine);
      const output = existsSync(log) ? readFileSync(log, 'utf8') : '';
      const exitCode = code ?? 1;
      resolve({ exitCode, output: exitCode === 3 || exitCode === 4 ? `${output}${stderr}` : output, outDir });
    });
  });
}
