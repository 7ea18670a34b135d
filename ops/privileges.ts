/**
 * No file operation as root: `spliced serve` started as root binds its ports, then becomes the
 * `user` account (default `nobody`) for good, as one process: every share is then accessed
 * with that account's permissions (the kernel's, like any local process). `user = root` keeps
 * root, explicitly.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fchownSync, fstatSync, openSync, constants } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, SplicedError } from './errors.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
}

function fail(message: string): never {
  throw new SplicedError(ERROR_CODES.PRIVILEGE_DROP, message);
}

/** The account from the system's user database (getent, so NSS sources count too). */
export function lookupAccount(name: string): Account {
  const r = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const fields = r.status === 0 ? r.stdout.split('\n')[0].split(':') : [];
  const uid = Number(fields[2]);
  const gid = Number(fields[3]);
  if (fields.length < 4 || !Number.isInteger(uid) || !Number.isInteger(gid)) fail(`user "${name}" (the "user" key) does not exist`);
  return { name: fields[0], uid, gid };
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Supplementary groups (just the account's primary group), then gid, then uid: the order that leaves no root bit behind; checked after. */
export function dropPrivileges(account: Account): void {
  try {
    process.setgroups!([account.gid]);
    process.setgid!(account.gid);
    process.setuid!(account.uid);
  } catch (err) {
    fail(`cannot become user "${account.name}": ${(err as Error).message}`);
  }
  if (process.getuid!() !== account.uid || process.geteuid!() !== account.uid || process.getegid!() !== account.gid) {
    fail(`still uid ${process.geteuid!()} after dropping to "${account.name}"`);
  }
  if (account.uid !== 0 && process.getgroups!().includes(0)) fail('still in group root after dropping privileges');
}

/**
 * Hand a directory spliced created (the embedded demo share) and the given entries in it to
 * the account, without following symlinks: a name planted in /tmp cannot redirect the chown.
 * Only entries owned by root or already by the account are changed.
 */
export function giveToAccount(dir: string, entries: string[], account: Account): void {
  for (const path of [dir, ...entries.map((e) => join(dir, e))]) {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      continue; // absent, or a symlink: leave it alone
    }
    try {
      const st = fstatSync(fd);
      if (st.uid === 0 || st.uid === account.uid) fchownSync(fd, account.uid, account.gid);
    } finally {
      closeSync(fd);
    }
  }
}
