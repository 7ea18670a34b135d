import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ntHash } from '../../auth/nt-hash.js';
import { loadUsersFile } from '../../auth/users-file.js';

const repo = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'spliced-cli-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function spliced(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), ...args], {
    cwd: repo,
    input: input ?? '',
    encoding: 'utf8',
    env: { ...process.env, SPLICED_USERS_FILE: '', SPLICED_DEMO_DIR: join(work, 'demo') },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('user add/list/del against a users file, password by flag and from stdin', () => {
  const file = join(work, 'users');
  let r = spliced(['user', 'add', 'alice', '--password', 'Secret1', '--users-file', file]);
  assert.equal(r.code, 0, r.stderr);
  r = spliced(['user', 'add', 'bob', '-f', file], 'pipe-pass\n');
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^alice:[0-9A-F]{32}\nbob:[0-9A-F]{32}\n$/i);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const db = loadUsersFile(file);
  assert.deepEqual(db.lookup('alice')!.ntHash, ntHash('Secret1'));
  assert.deepEqual(db.lookup('bob')!.ntHash, ntHash('pipe-pass'));

  r = spliced(['user', 'list', '--users-file', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'alice\nbob\n');

  r = spliced(['user', 'del', 'alice', '--users-file', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(spliced(['user', 'list', '--users-file', file]).stdout, 'bob\n');

  r = spliced(['user', 'del', 'alice', '--users-file', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^spliced: no user "alice" in /);
});

test('user add refuses an empty password and a bad name', () => {
  const file = join(work, 'users2');
  let r = spliced(['user', 'add', 'carol', '--users-file', file], '');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /empty password/);
  r = spliced(['user', 'add', 'a:b', '--password', 'x', '--users-file', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad user name "a:b"/);
  assert.throws(() => statSync(file), { code: 'ENOENT' });
});

test('check-config prints the effective config, warnings on stderr, exits 1 with file:line on errors', () => {
  const share = mkdtempSync(join(work, 'share-'));
  const good = join(work, 'good.conf');
  writeFileSync(good, `[global]\n  tcp port = 10445\n  frobnicate = 1\n[Data]\n  path = ${share}\n  writeable = yes\n`);
  let r = spliced(['check-config', good]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /WARNING: .*good\.conf:3: unknown parameter "frobnicate" ignored/);
  assert.match(r.stderr, /Loaded config file OK: 1 share/);
  assert.match(r.stdout, /^\[global\]\n(\t.*\n)*\ttcp port = 10445\n/m);
  assert.match(r.stdout, /^\[Data\]\n\tpath = .*\n(\t.*\n)*\tread only = No\n/m);

  const bad = join(work, 'bad.conf');
  writeFileSync(bad, `[Data]\n  path = ${share}\n  read only = maybe\n`);
  r = spliced(['check-config', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /spliced: .*bad\.conf:3: unknown boolean "maybe" for "read only"/);
  assert.equal(r.stdout, '');

  r = spliced(['check-config']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\[demo\]$/m);
  assert.match(r.stdout, /^\tguest ok = Yes$/m);
});

test('--help describes the commands and shows examples; bad arguments are explained', () => {
  let r = spliced(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['serve', 'user', 'check-config', 'bench', 'Examples:', 'smbclient //127.0.0.1/demo -p 4450 -N']) {
    assert.ok(r.stdout.includes(word), `help mentions ${word}`);
  }
  r = spliced(['serve', '--help']);
  assert.match(r.stdout, /--metrics <host:port>/);
  assert.match(r.stdout, /SIGHUP reloads/);
  r = spliced(['serve', '--port', 'abc']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad port "abc" for "--port"/);
  r = spliced(['bench', 'no-such-bench']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /unknown benchmark "no-such-bench" \(available: .*tcp/);
});

test('user add prompts twice without echo on a terminal', { skip: existsSync('/usr/bin/script') ? false : 'install util-linux (script) to test the terminal prompt' }, async () => {
  const file = join(work, 'users-tty');
  const command = [process.execPath, '--import', 'tsx', join(repo, 'cli/main.ts'), 'user', 'add', 'dave', '--users-file', file]
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 400 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, re);
  };
  await waitFor(/New password for dave: /);
  child.stdin.write('Tty-secret9\r');
  await waitFor(/Retype new password: /);
  child.stdin.write('Tty-secret9\r');
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /Tty-secret9/, 'the password is not echoed');
  assert.deepEqual(loadUsersFile(file).lookup('dave')!.ntHash, ntHash('Tty-secret9'));
});

test('bench runs test/bench/NAME.ts through npx tsx with the arguments passed through, and its exit code', () => {
  const dir = mkdtempSync(join(work, 'bench-'));
  writeFileSync(join(dir, 'echo.ts'), "const args: string[] = process.argv.slice(2);\nconsole.log(JSON.stringify(args));\nprocess.exit(args.includes('--fail') ? 3 : 0);\n");
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'bench', ...args], {
      cwd: repo, encoding: 'utf8', env: { ...process.env, SPLICED_BENCH_DIR: dir }, timeout: 60_000,
    });
  let r = run(['echo', '--size-mib', '16', '--rounds=2', 'x']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), ['--size-mib', '16', '--rounds=2', 'x']);
  r = run(['echo', '--fail']);
  assert.equal(r.status, 3);
  r = run(['--help']);
  assert.match(r.stdout, /arguments pass through/);
});
