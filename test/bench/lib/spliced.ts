import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchShareSection, serverProcess, type ServerProcess } from './child.js';

export type SplicedInstance = ServerProcess;

const repo = resolve(import.meta.dirname, '../../..');

/**
 * Start `spliced serve` (the compiled CLI when built, else through tsx) with a one-share config.
 * `npm run bench:tcp` builds first: a dist/ older than the sources would measure old code.
 */
export async function startSpliced(
  workDir: string,
  sharePath: string,
  port: number,
  extraGlobals: string[] = [],
  writable = false,
  metricsPort = 0,
): Promise<SplicedInstance> {
  const conf = join(workDir, 'spliced.conf');
  writeFileSync(
    conf,
    [
      '[global]',
      `  tcp port = ${port}`,
      '  rdma port = 0',
      `  metrics address = 127.0.0.1:${metricsPort}`,
      '  log level = warn',
      // The benchmark shares live in root's temp dirs, as Samba's do; this compares I/O, not permissions.
      '  user = root',
      ...extraGlobals.map((l) => `  ${l}`),
      ...benchShareSection(sharePath, writable),
    ].join('\n'),
  );
  const compiled = join(repo, 'dist/cli/main.js');
  const args = existsSync(compiled) ? [compiled] : ['--import', 'tsx', join(repo, 'cli/main.ts')];
  const child: ChildProcess = spawn(process.execPath, [...args, 'serve', '--config', conf], { stdio: ['ignore', 'ignore', 'inherit'], cwd: repo });
  return serverProcess(child, port, 30_000);
}
