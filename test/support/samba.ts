import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SMBD = '/usr/sbin/smbd';

export function sambaAvailable(): boolean {
  return existsSync(SMBD);
}

/**
 * smb.conf for a private smbd (benchmark anchor, interop judge): all its state under `workDir`
 * (`private/`, `lock/`, …), loopback only on `port`, no NetBIOS or printing. `globals` and
 * `shares` are appended in smb.conf grammar. Returns the config's path.
 */
export function writePrivateSambaConfig(workDir: string, port: number, globals: string[], shares: string[]): string {
  const at = (d: string) => join(workDir, d);
  for (const d of ['private', 'lock', 'state', 'cache', 'pid', 'ncalrpc', 'log']) mkdirSync(at(d), { recursive: true });
  const conf = at('smb.conf');
  const lines = [
    '[global]',
    'server role = standalone server',
    `smb ports = ${port}`,
    'interfaces = 127.0.0.1',
    'bind interfaces only = yes',
    'disable netbios = yes',
    `private dir = ${at('private')}`,
    `lock directory = ${at('lock')}`,
    `state directory = ${at('state')}`,
    `cache directory = ${at('cache')}`,
    `pid directory = ${at('pid')}`,
    `ncalrpc dir = ${at('ncalrpc')}`,
    `log file = ${at('log')}/smbd.%m`,
    'load printers = no',
    'printing = bsd',
    'printcap name = /dev/null',
    ...globals,
    ...shares,
    '',
  ];
  writeFileSync(conf, lines.join('\n'));
  return conf;
}

/** Start smbd in the foreground in its own process group: smbd signals its whole group when it shuts down. */
export function spawnSmbd(conf: string): ChildProcess {
  return spawn(SMBD, ['-s', conf, '--foreground', '--no-process-group'], { stdio: 'ignore', detached: true });
}
