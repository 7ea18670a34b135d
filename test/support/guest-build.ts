// What the VM runs of spliced: compiled JavaScript (it starts in seconds in the emulated guest;
// tsx there takes close to a minute) and a users file made on the host (node starts slowly in
// the guest). Used by the kernel cifs test, `npm run bench:rdma` and `npm run demo:rdma`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, lastLines } from './vm.js';

/** tsc into OUT_DIR (repo-relative); type errors elsewhere in the tree still emit JavaScript. */
export function buildSplicedForGuest(outDirRelative: string, say: (line: string) => void = console.log): void {
  const outDir = join(REPO_ROOT, outDirRelative);
  rmSync(outDir, { recursive: true, force: true });
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', outDir, '--sourceMap', 'false'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) say(`tsc reported errors, running what it emitted:\n${lastLines(r.stdout + r.stderr, 10)}`);
  assert.ok(existsSync(join(outDir, 'cli', 'main.js')), `tsc emitted no cli/main.js:\n${lastLines(r.stdout + r.stderr, 30)}`);
}

/** `spliced user add` on the host into USERS_FILE (repo-relative), with the build above. */
export function addGuestUser(outDirRelative: string, usersFileRelative: string, user: string, password: string): void {
  rmSync(join(REPO_ROOT, usersFileRelative), { force: true });
  const cli = join(REPO_ROOT, outDirRelative, 'cli', 'main.js');
  const args = [cli, 'user', 'add', user, '--users-file', usersFileRelative, '--password', password];
  const r = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `spliced user add failed:\n${r.stdout}${r.stderr}`);
}
