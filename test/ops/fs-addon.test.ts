// Without the spliced_fs addon there is no safe way to open share files: serve refuses to
// start with one line on how to build it (never a path-based fallback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../support/net.js';

const repo = resolve(import.meta.dirname, '../..');

test('serve without the spliced_fs addon exits 1 with one line saying how to build it', { timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'spliced-nofs-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'cli/main.ts'), 'serve', '--port', String(await freePort()), '--metrics', '127.0.0.1:0'], {
      cwd: repo,
      encoding: 'utf8',
      timeout: 50_000,
      env: { ...process.env, SPLICED_FS_ADDON: join(work, 'missing.node'), SPLICED_DEMO_DIR: join(work, 'demo') },
    });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^spliced: cannot serve: the file system addon spliced_fs\.node is not built; run npm run build:native/);
    assert.equal(r.stdout, '', 'no connect hint: nothing is served');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
