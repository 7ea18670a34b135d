// What `spliced serve` prints as its log: readable lines on a terminal (under a real pty, made by
// util-linux `script`), JSON lines when piped, and whatever `log format` / --log-format says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../ops/config.js';
import { ConfigError } from '../../ops/errors.js';

const repo = resolve(import.meta.dirname, '../..');
const noScript = spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status !== 0;
const skipPty = noScript ? 'util-linux `script` is not installed (apt-get install bsdutils)' : false;

/** Runs `spliced serve ARGS` until "spliced started" was logged, then stops it; returns what it printed. */
function serveOutput(args: string[], onTerminal: boolean): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-log-'));
  const serve = [process.execPath, '--import', 'tsx', join(repo, 'cli/main.ts'), 'serve', '--port', '0', '--metrics', '127.0.0.1:0', ...args];
  const quoted = serve.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [cmd, argv] = onTerminal ? ['script', ['-qfec', quoted, '/dev/null']] : [serve[0]!, serve.slice(1)];
  const child = spawn(cmd, argv, { cwd: repo, env: { ...process.env, SPLICED_DEMO_DIR: join(dir, 'demo') }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), fail(new Error(`no "spliced started" within 30 s:\n${out}`))), 30_000);
    const check = (): void => {
      if (!/spliced started/.test(out)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      child.stderr.off('data', check);
      child.kill('SIGTERM');
      // Under `script` the server is a grandchild: SIGTERM reaches script, which hangs up on it.
      child.once('exit', () => (rmSync(dir, { recursive: true, force: true }), done(out)));
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
  });
}

const JSON_LINE = /^\{"level":30,"time":\d+,"pid":\d+,"hostname":"[^"]*","name":"spliced","tcpPort":\d+,.*"msg":"spliced started"\}$/m;
// pino-pretty's single-line form: [HH:MM:ss.mmm] LEVEL: message {bindings}
const TEXT_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (\x1b\[\d+m)?INFO(\x1b\[\d+m)?: (\x1b\[\d+m)?spliced started(\x1b\[\d+m)? .*"tcpPort":\d+/m;

test('piped, the log is one JSON object a line', async () => {
  const out = await serveOutput([], false);
  assert.match(out, JSON_LINE);
  assert.doesNotMatch(out, TEXT_LINE);
});

test('on a terminal, the log is readable lines, not JSON', { skip: skipPty }, async () => {
  const out = await serveOutput([], true);
  assert.match(out, TEXT_LINE);
  assert.doesNotMatch(out, /\{"level":/);
});

test('--log-format json keeps JSON on a terminal; "log format = json" in the config too', { skip: skipPty }, async () => {
  assert.match(await serveOutput(['--log-format', 'json'], true), JSON_LINE);
  const dir = mkdtempSync(join(tmpdir(), 'spliced-log-conf-'));
  try {
    const conf = join(dir, 'spliced.conf');
    writeFileSync(conf, `[global]\n  log format = json\n[s]\n  path = ${dir}\n  guest ok = yes\n`);
    assert.match(await serveOutput(['--config', conf], true), JSON_LINE);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--log-format text gives readable lines even when piped', async () => {
  const out = await serveOutput(['--log-format', 'text'], false);
  assert.match(out, TEXT_LINE);
  assert.doesNotMatch(out, /\{"level":/);
});

test('"log format" accepts auto, text and json, and names the line of anything else', () => {
  for (const f of ['auto', 'text', 'json'] as const) {
    assert.equal(parseConfig(`[global]\n  log format = ${f.toUpperCase()}\n[s]\n  path = /tmp\n`, 'x.conf').logFormat, f);
  }
  assert.equal(parseConfig('[s]\n  path = /tmp\n', 'x.conf').logFormat, 'auto');
  assert.throws(
    () => parseConfig('[global]\n  log format = pretty\n[s]\n  path = /tmp\n', 'x.conf'),
    (err: unknown) => err instanceof ConfigError && /x\.conf:2: unknown log format "pretty" for "log format" \(auto, text, json\)/.test(err.message),
  );
});
