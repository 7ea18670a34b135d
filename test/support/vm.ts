// Host-side entry to the soft-RoCE VM (see run-in-vm.sh): boots the cached kernel, runs one
// command as root in the guest from the repo root, and returns its exit code, its output
// and the shared output folder (the guest's $VM_OUT).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VM_CACHE = join(REPO_ROOT, '.cache', 'vm');
const RUN_IN_VM = join(REPO_ROOT, 'test', 'vm', 'run-in-vm.sh');

export interface VmRunOptions {
  /** argv of the command to run in the guest (cwd: the repo root, same path as on the host). */
  command: string[];
  /** Extra environment for the command inside the guest. */
  env?: Record<string, string>;
  /** Wall-clock limit for boot, command and power-off. */
  timeoutMs?: number;
}

export interface VmRun {
  /** The command's exit code; 3 = no VM image, 4 = the guest did not finish (see output). */
  exitCode: number;
  /** The command's stdout and stderr, or the harness's diagnosis when the guest failed. */
  output: string;
  /** The shared output folder: files the command wrote to $VM_OUT. */
  outDir: string;
}

/** Why the VM cannot run here, or null when it can. */
export function vmUnavailableReason(): string | null {
  const path = (process.env.PATH ?? '').split(':').map((d) => join(d, 'qemu-system-x86_64'));
  if (!path.some((p) => existsSync(p))) return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)';
  const boot = join(VM_CACHE, 'kernel', 'boot');
  const kernel = existsSync(boot) && readdirSync(boot).some((f) => f.startsWith('vmlinuz-'));
  if (!kernel || !existsSync(join(VM_CACHE, 'initramfs.cpio.gz'))) return 'the VM kernel and initramfs are not prepared';
  return null;
}

/**
 * The kernel release the VM boots (the newest linux-image-6.1.0-N-amd64 that prepare.sh found).
 * Anything built against kernel headers for the guest must use exactly this release.
 */
export function preparedKernelRelease(): string {
  return readFileSync(join(VM_CACHE, 'kernel-release'), 'utf8').trim();
}

const KEPT_RUNS = 10;

/** Keeps the newest output folders only. */
function pruneRuns(runs: string): void {
  const dirs = readdirSync(runs)
    .filter((name) => name.startsWith('run-'))
    .map((name) => ({ path: join(runs, name), mtime: statSync(join(runs, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of dirs.slice(KEPT_RUNS - 1)) rmSync(old.path, { recursive: true, force: true });
}

export function runInVm(options: VmRunOptions): Promise<VmRun> {
  const runs = join(VM_CACHE, 'runs');
  mkdirSync(runs, { recursive: true });
  pruneRuns(runs);
  const outDir = mkdtempSync(join(runs, 'run-'));
  const envPrefix = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const argv = envPrefix.length ? ['env', ...envPrefix, ...options.command] : options.command;
  const timeoutSeconds = Math.ceil((options.timeoutMs ?? 600_000) / 1000);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [RUN_IN_VM, ...argv], {
      cwd: REPO_ROOT,
      env: { ...process.env, VM_OUT_DIR: outDir, VM_TIMEOUT: String(timeoutSeconds) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const log = join(outDir, 'output.log');
      const output = existsSync(log) ? readFileSync(log, 'utf8') : '';
      const exitCode = code ?? 1;
      resolve({ exitCode, output: exitCode === 3 || exitCode === 4 ? `${output}${stderr}` : output, outDir });
    });
  });
}

/** The last `lines` lines of a program's output, for failure messages. */
export function lastLines(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}
