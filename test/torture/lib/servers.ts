/**
 * The two servers the smbtorture comparison runs against, each on a fresh share in its own work
 * directory, both logging in the same authenticated user: the built `spliced serve` (as root, working
 * as that user's Unix account once its port is bound) and a private Samba smbd.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ntHash } from '../../../auth/nt-hash.js';
import { freePort } from '../../support/net.js';
import { spawnSmbd, writePrivateSambaConfig } from '../../support/samba.js';
import { serverProcess, type ServerProcess } from '../../bench/lib/child.js';

const repo = resolve(import.meta.dirname, '../../..');

export type ServerName = 'samba' | 'spliced';
export const SERVER_NAMES: readonly ServerName[] = ['samba', 'spliced'];

/** The account both servers authenticate; Samba needs it to be a Unix account too. */
export interface TortureAccount {
  name: string;
  password: string;
  uid: number;
  gid: number;
}

export interface RunningServer extends ServerProcess {
  name: ServerName;
  /** Where the server writes its log (spliced's stderr, smbd's log files). */
  log: string;
}

function lookupUnixAccount(name: string): { uid: number; gid: number } | null {
  const fields = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':');
  return fields.length < 4 ? null : { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * The Unix account `name`, created as a system account without home or shell when it is missing
 * (root only). Samba maps a guest to `nobody`, which fails many subtests on Samba itself.
 */
export function ensureAccount(name: string, password: string): TortureAccount {
  let ids = lookupUnixAccount(name);
  if (!ids) {
    if (process.getuid?.() !== 0) throw new Error(`no Unix account "${name}": run as root (it is created) or pass --user with an existing account`);
    const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`useradd ${name} failed: ${made.stderr.trim()}`);
    ids = lookupUnixAccount(name);
    if (!ids) throw new Error(`useradd ${name} succeeded but getent does not find it`);
  }
  return { name, password, ...ids };
}

/** A fresh share directory under `workDir` that `account` owns (both servers work as it there). */
export function freshShare(root: string, workDir: string, account: TortureAccount): string {
  mkdirSync(workDir, { recursive: true });
  // The account must reach its share: open up every directory from the (0700) temp root down.
  for (let dir = workDir; dir.startsWith(root); dir = dirname(dir)) chmodSync(dir, 0o755);
  const share = join(workDir, 'share');
  mkdirSync(share);
  if (process.getuid?.() === 0) chownSync(share, account.uid, account.gid);
  return share;
}

function shareSection(sharePath: string, account: TortureAccount): string[] {
  return ['[share]', `  path = ${sharePath}`, '  read only = no', `  valid users = ${account.name}`, ''];
}

/** `spliced serve` from dist/ (npm run torture builds it first) with a one-share config. */
export async function startSpliced(workDir: string, sharePath: string, account: TortureAccount): Promise<RunningServer> {
  const compiled = join(repo, 'dist/cli/main.js');
  if (!existsSync(compiled)) throw new Error('dist/cli/main.js is missing: run `npm run build` (npm run torture does)');
  const port = await freePort();
  const users = join(workDir, 'spliced.users');
  writeFileSync(users, `${account.name}:${ntHash(account.password).toString('hex').toUpperCase()}\n`);
  const conf = join(workDir, 'spliced.conf');
  const runAs = process.getuid?.() === 0 ? [`  user = ${account.name}`] : [];
  // Samba 4.17 offers SMB2_GLOBAL_CAP_MULTI_CHANNEL by default on Linux; spliced does once
  // `interfaces` is set. Set it, so that both servers offer the same capabilities (smb2.lock's
  // replay tests depend on it).
  const globals = ['[global]', `  tcp port = ${port}`, '  rdma port = 0', '  interfaces = 127.0.0.1', '  metrics address = 127.0.0.1:0', '  log level = warn', `  users file = ${users}`, ...runAs];
  writeFileSync(conf, [...globals, ...shareSection(sharePath, account)].join('\n'));
  const log = join(workDir, 'spliced.log');
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [compiled, 'serve', '--config', conf], { stdio: ['ignore', fd, fd], cwd: repo });
  closeSync(fd);
  return { name: 'spliced', log, ...(await serverProcess(child, port, 30_000)) };
}

/** A private smbd with `account` in its passdb, serving the share read-write to it alone. */
export async function startSamba(workDir: string, sharePath: string, account: TortureAccount): Promise<RunningServer> {
  const port = await freePort();
  const conf = writePrivateSambaConfig(join(workDir, 'samba'), port, ['server min protocol = SMB2_02'], shareSection(sharePath, account));
  const added = spawnSync('smbpasswd', ['-c', conf, '-a', '-s', account.name], { input: `${account.password}\n${account.password}\n`, encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`smbpasswd -a ${account.name} failed: ${added.stderr.trim() || added.stdout.trim()}`);
  return { name: 'samba', log: join(workDir, 'samba', 'log'), ...(await serverProcess(spawnSmbd(conf), port, 15_000)) };
}

export function startServer(name: ServerName, workDir: string, sharePath: string, account: TortureAccount): Promise<RunningServer> {
  return name === 'samba' ? startSamba(workDir, sharePath, account) : startSpliced(workDir, sharePath, account);
}
