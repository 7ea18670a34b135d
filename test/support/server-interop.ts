/** Helpers for interop tests that drive Samba's command-line tools against our server. */
import { spawn, spawnSync } from 'node:child_process';

/** True when `tool` runs here. */
export function haveTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command asynchronously (the server under test lives in this process). */
export function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A Logger that records what the server logs (to check e.g. that a session was signed). */
export function recordingLogger(records: Array<Record<string, unknown>>) {
  const logger = {
    debug() {},
    info(obj: object | string, msg?: string) {
      records.push(typeof obj === 'string' ? { msg: obj } : { ...(obj as Record<string, unknown>), msg });
    },
    warn() {},
    error() {},
    child() {
      return logger;
    },
  };
  return logger;
}
