import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addUser } from '../../auth/users-file.js';
import { coreMissing, smbclient, smbclientMissing } from '../support/smb-core.js';
import { parsePromText, sampleSum } from '../support/prom-text.js';
import { createServer } from 'node:net';
import { freePort } from '../support/net.js';

const repo = resolve(import.meta.dirname, '../..');
const skip = smbclientMissing || coreMissing;

interface Spliced {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  waitFor(stream: 'stdout' | 'stderr', re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startServe(args: string[], env: Record<string, string> = {}): Spliced {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'serve', ...args], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (text.stdout += d));
  child.stderr!.on('data', (d) => (text.stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const waitFor = (stream: 'stdout' | 'stderr', re: RegExp, ms = 30_000) =>
    new Promise<RegExpMatchArray>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`timed out waiting for ${re} on ${stream}:\n${text.stdout}\n${text.stderr}`)), ms);
      const check = (): void => {
        const m = text[stream].match(re);
        if (!m) return;
        clearTimeout(timer);
        child[stream]!.off('data', check);
        done(m);
      };
      child[stream]!.on('data', check);
      check();
    });
  return { child, stdout: () => text.stdout, stderr: () => text.stderr, waitFor, exit };
}

/** An smbclient session kept open, fed commands on stdin (stdbuf: its stdout is a pipe, so unbuffer it). */
function interactiveSmbclient(port: number, share: string) {
  const args = ['-o0', '-e0', 'smbclient', `//127.0.0.1/${share}`, '-p', String(port), '-m', 'SMB3', '-N'];
  const child = spawn('stdbuf', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return {
    async run(command: string, until: RegExp): Promise<string> {
      const start = out.length;
      child.stdin.write(`${command}\n`);
      for (let i = 0; i < 300; i++) {
        const fresh = out.slice(start);
        if (until.test(fresh)) return fresh;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`smbclient: no ${until} after "${command}":\n${out}`);
    },
    close: () => new Promise<void>((done) => (child.exitCode !== null ? done() : (child.once('exit', () => done()), child.stdin.end('exit\n')))),
  };
}

function configText(port: number, one: string, two?: string): string {
  return [
    '[global]',
    `  tcp port = ${port}`,
    '  metrics address = 127.0.0.1:0',
    '  users file = users',
    // This test is about reloads, which re-read the config and the users file in this 0700
    // temp dir; privilege-drop.test.ts covers the default unprivileged user.
    '  user = root',
    '[one]',
    `  path = ${one}`,
    '  guest ok = yes',
    ...(two ? ['[two]', `  path = ${two}`, '  valid users = bob', '  read only = no'] : []),
    '',
  ].join('\n');
}

test('SIGHUP adds a share and a user while an old connection stays up, a bad reload changes nothing, SIGTERM exits 0', { skip, timeout: 120_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'spliced-serve-'));
  const one = join(work, 'one');
  const two = join(work, 'two');
  mkdirSync(one);
  mkdirSync(two);
  writeFileSync(join(one, 'one.txt'), 'first share\n');
  writeFileSync(join(two, 'two.txt'), 'second share\n');
  const conf = join(work, 'spliced.conf');
  const port = await freePort();
  writeFileSync(conf, configText(port, one));
  const server = startServe(['--config', conf]);
  try {
    const [, metricsUrl] = await server.waitFor('stdout', /smbclient \/\/127\.0\.0\.1\/one -p \d+ -N +# status page: (http:\/\/127\.0\.0\.1:\d+\/)/);
    const old = interactiveSmbclient(port, 'one');
    assert.match(await old.run('ls', /blocks of size/), /one\.txt/);

    addUser(join(work, 'users'), 'bob', 'Bob-pass1');
    writeFileSync(conf, configText(port, one, two));
    let r = await smbclient(port, 'two', 'ls', ['-U', 'bob%Bob-pass1']);
    assert.notEqual(r.code, 0, 'share two does not exist before the reload');
    server.child.kill('SIGHUP');
    await server.waitFor('stderr', /reload complete/);

    r = await smbclient(port, 'two', 'ls; put ' + conf + ' copied.conf', ['-U', 'bob%Bob-pass1']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /two\.txt/);
    assert.equal(readFileSync(join(two, 'copied.conf'), 'utf8'), readFileSync(conf, 'utf8'));
    assert.match(await old.run('ls', /blocks of size/), /one\.txt/, 'the connection opened before SIGHUP still works');
    assert.match(await old.run('get one.txt /dev/null', /getting file/), /getting file \\one\.txt/);

    const metrics = parsePromText(await (await fetch(`${metricsUrl}metrics`)).text());
    assert.ok(sampleSum(metrics, 'spliced_connections_total', { transport: 'tcp' }) >= 3);
    assert.equal(sampleSum(metrics, 'spliced_connections', { transport: 'tcp' }), 1, 'only the old connection is open');
    assert.ok(sampleSum(metrics, 'spliced_read_bytes_total') >= 'first share\n'.length);
    assert.equal(sampleSum(metrics, 'spliced_write_bytes_total'), readFileSync(conf).length);
    await old.close();

    writeFileSync(conf, configText(port, one, two) + 'read only = maybe\n');
    server.child.kill('SIGHUP');
    await server.waitFor('stderr', /reload failed, keeping the running configuration: .*spliced\.conf:\d+: unknown boolean \\"maybe\\"/);
    r = await smbclient(port, 'two', 'ls', ['-U', 'bob%Bob-pass1']);
    assert.equal(r.code, 0, `a bad reload keeps the running shares: ${r.out}`);

    server.child.kill('SIGTERM');
    const { code } = await server.exit;
    assert.equal(code, 0, server.stderr());
    assert.match(server.stderr(), /shutdown complete/);
  } finally {
    server.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});

test('no config: the embedded demo share answers smbclient -N, logs are structured, SIGINT exits 0', { skip, timeout: 120_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'spliced-demo-'));
  chmodSync(work, 0o755); // run as root, serve drops to nobody, which must reach the demo directory
  const port = await freePort();
  const server = startServe(['--port', String(port), '--metrics', '127.0.0.1:0', '--log-level', 'debug'], { SPLICED_DEMO_DIR: join(work, 'demo') });
  try {
    const [line] = await server.waitFor('stdout', new RegExp(`smbclient //127\\.0\\.0\\.1/demo -p ${port} -N.*\\n`));
    assert.equal(server.stdout(), line, 'stdout carries exactly the one connect line');
    const r = await smbclient(port, 'demo', 'ls; get sample.bin ' + join(work, 'sample.bin') + '; put ' + join(work, 'sample.bin') + ' uploaded.bin');
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(readFileSync(join(work, 'demo', 'uploaded.bin')), readFileSync(join(work, 'sample.bin')), 'the demo share is writable');
    assert.match(r.out, /README\.txt/);
    assert.deepEqual(readFileSync(join(work, 'sample.bin')), readFileSync(join(work, 'demo', 'sample.bin')));
    const logs = server.stderr().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(logs.some((l) => l.msg === 'spliced started' && typeof l.level === 'number'), 'structured pino logs on stderr');
    assert.ok(logs.some((l) => typeof l.conn === 'number'), 'per-connection context in the logs');

    server.child.kill('SIGHUP');
    await server.waitFor('stderr', /nothing to reload/);
    server.child.kill('SIGINT');
    const { code } = await server.exit;
    assert.equal(code, 0, server.stderr());
  } finally {
    server.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});

test('a port already in use is a clear error and exit 1, not a hang', { skip: coreMissing, timeout: 60_000 }, async () => {
  const blocker = createServer();
  await new Promise<void>((done) => blocker.listen(0, '0.0.0.0', done));
  const { port } = blocker.address() as { port: number };
  const work = mkdtempSync(join(tmpdir(), 'spliced-busy-'));
  const server = startServe(['--port', String(port), '--metrics', '127.0.0.1:0'], { SPLICED_DEMO_DIR: join(work, 'demo') });
  try {
    const { code } = await server.exit;
    assert.equal(code, 1);
    assert.match(server.stderr(), /^spliced: listen EADDRINUSE/m);
  } finally {
    blocker.close();
    server.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});
