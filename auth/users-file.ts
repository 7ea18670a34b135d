import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fchmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, basename, join } from 'node:path';
import { MemoryUserDb, type UserAccount } from './user-db.js';
import { ntHash } from './nt-hash.js';

/**
 * The users file: one `name:NTHASH` per line (NTHASH = 32 hex digits, [MS-NLMP] 3.3.1 NTOWFv1),
 * `#` starts a comment line, blank lines are ignored. Names compare case-insensitively.
 */
const ENTRY = /^([^:\s]+):([0-9a-fA-F]{32})$/;
const FILE_MODE = 0o600;

type Line = { kind: 'entry'; account: UserAccount } | { kind: 'other'; text: string };

/** Throws unless `name` can be stored: non-empty, no ':' or whitespace, not starting with '#'. */
export function validateUserName(name: string): void {
  if (name.length === 0) throw new Error('user name must not be empty');
  if (/[:\s]/.test(name)) throw new Error(`user name ${JSON.stringify(name)} must not contain ':' or whitespace`);
  if (name.startsWith('#')) throw new Error(`user name ${JSON.stringify(name)} must not start with '#'`);
}

function readLines(path: string): Line[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  if (text.endsWith('\n')) text = text.slice(0, -1);
  if (text === '') return [];
  const seen = new Set<string>();
  return text.split('\n').map((raw, i) => {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) return { kind: 'other', text: raw };
    const m = ENTRY.exec(line);
    if (!m) throw new Error(`${path}:${i + 1}: malformed line, expected name:<32 hex digit NT hash>`);
    const key = m[1].toLowerCase();
    if (seen.has(key)) throw new Error(`${path}:${i + 1}: duplicate user ${JSON.stringify(m[1])}`);
    seen.add(key);
    return { kind: 'entry', account: { name: m[1], ntHash: Buffer.from(m[2], 'hex') } };
  });
}

function formatLine(line: Line): string {
  return line.kind === 'entry' ? `${line.account.name}:${line.account.ntHash.toString('hex').toUpperCase()}` : line.text;
}

/** Writes through a temporary file in the same directory and renames it into place, mode 0600. */
function writeAtomically(path: string, lines: Line[]): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', FILE_MODE);
  try {
    fchmodSync(fd, FILE_MODE);
    const body = lines.map(formatLine).join('\n');
    writeSync(fd, body.length > 0 ? body + '\n' : '');
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Loads the users file; a missing file is an empty database, a malformed line an Error naming file and line. */
export function loadUsersFile(path: string): MemoryUserDb {
  const accounts = readLines(path).flatMap((l) => (l.kind === 'entry' ? [l.account] : []));
  return new MemoryUserDb(accounts);
}

/** Adds the user or replaces their password, keeping comments and order. */
export function addUser(path: string, name: string, password: string): void {
  validateUserName(name);
  const lines = readLines(path);
  const account: UserAccount = { name, ntHash: ntHash(password) };
  const at = lines.findIndex((l) => l.kind === 'entry' && l.account.name.toLowerCase() === name.toLowerCase());
  if (at >= 0) lines[at] = { kind: 'entry', account };
  else lines.push({ kind: 'entry', account });
  writeAtomically(path, lines);
}

/** Removes the user; returns false (and leaves the file alone) when there was no such user. */
export function deleteUser(path: string, name: string): boolean {
  const lines = readLines(path);
  const kept = lines.filter((l) => !(l.kind === 'entry' && l.account.name.toLowerCase() === name.toLowerCase()));
  if (kept.length === lines.length) return false;
  writeAtomically(path, kept);
  return true;
}

/** User names in file order. */
export function listUsers(path: string): string[] {
  return readLines(path).flatMap((l) => (l.kind === 'entry' ? [l.account.name] : []));
}
