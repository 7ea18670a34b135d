import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchShareSection, serverProcess, type ServerProcess } from './child.js';

/** A throwaway Samba smbd serving one read-only guest share on a private port: the benchmark anchor. */
export type SambaInstance = ServerProcess;

const SMBD = '/usr/sbin/smbd';

export function sambaAvailable(): boolean {
  return existsSync(SMBD);
}

export async function startSamba(workDir: string, sharePath: string, port: number): Promise<SambaInstance> {
  const dirs = ['private', 'lock', 'state', 'cache', 'pid', 'ncalrpc', 'log'].map((d) => join(workDir, d));
  for (const d of dirs) mkdirSync(d, { recursive: true });
  const [priv, lock, state, cache, pid, ncalrpc, log] = dirs;
  const conf = join(workDir, 'smb.conf');
  writeFileSync(
    conf,
    [
      '[global]',
      '  server role = standalone server',
      `  smb ports = ${port}`,
      '  interfaces = 127.0.0.1',
      '  bind interfaces only = yes',
      '  disable netbios = yes',
      '  map to guest = Bad User',
      '  server min protocol = SMB2_02',
      `  private dir = ${priv}`,
      `  lock directory = ${lock}`,
      `  state directory = ${state}`,
      `  cache directory = ${cache}`,
      `  pid directory = ${pid}`,
      `  ncalrpc dir = ${ncalrpc}`,
      `  log file = ${log}/smbd.log`,
      '  load printers = no',
      '  printing = bsd',
      '  printcap name = /dev/null',
      ...benchShareSection(sharePath),
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SMBD, ['--foreground', '--no-process-group', '-s', conf], { stdio: 'ignore', detached: true }); // smbd signals its whole process group on exit
  return serverProcess(child, port, 15_000);
}
