/** `spliced user add|del|list`: manage the NT-hash users file, like ksmbd.adduser. */
import { addUser, deleteUser, listUsers } from '../auth/users-file.js';
import { ERROR_CODES, SplicedError } from '../ops/errors.js';
import { obtainPassword } from './password.js';

export const DEFAULT_USERS_FILE = 'spliced.users';

export function usersFilePath(flag: string | undefined): string {
  return flag || process.env.SPLICED_USERS_FILE || DEFAULT_USERS_FILE;
}

const USER_NAME = /^[^\s:"/\\[\]|<>+=;,*?@]{1,64}$/;

export async function userAdd(name: string, opts: { usersFile?: string; password?: string }): Promise<void> {
  if (!USER_NAME.test(name)) {
    throw new SplicedError(ERROR_CODES.CLI_ARGUMENT, `bad user name "${name}" (1-64 characters, no spaces or :"/\\[]|<>+=;,*?@)`);
  }
  const file = usersFilePath(opts.usersFile);
  const password = await obtainPassword(opts.password, name);
  addUser(file, name, password);
  process.stderr.write(`user ${name} saved in ${file}\n`);
}

export function userDel(name: string, opts: { usersFile?: string }): void {
  const file = usersFilePath(opts.usersFile);
  if (!deleteUser(file, name)) throw new SplicedError(ERROR_CODES.USER_UNKNOWN, `no user "${name}" in ${file}`);
  process.stderr.write(`user ${name} deleted from ${file}\n`);
}

export function userList(opts: { usersFile?: string }): void {
  for (const name of listUsers(usersFilePath(opts.usersFile))) process.stdout.write(`${name}\n`);
}
