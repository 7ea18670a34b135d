import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../ops/config.js';

const repo = join(import.meta.dirname, '../..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

test("the README's apt line installs exactly what CI installs (.ci/apt-packages)", () => {
  const ci = readFileSync(join(repo, '.ci/apt-packages'), 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .flatMap((l) => l.split(/\s+/))
    .filter(Boolean);
  const line = readme.split('\n').find((l) => l.includes('apt-get install'));
  assert.ok(line, 'README has an apt-get install line');
  const named = line.replace(/.*apt-get install( -y)?/, '').split(/\s+/).filter(Boolean);
  assert.deepEqual([...named].sort(), [...ci].sort());
});

test('the README gives the two set-up commands, and package.json defines them', () => {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.match(readme, /^npm ci && npm start\b/m);
  assert.match(readme, /^npm ci && npm test\b/m);
  assert.ok(pkg.scripts.start && pkg.scripts.test && pkg.scripts.install);
});

test("the README's config example loads as it stands (smb.conf has no inline comments)", () => {
  const block = /```ini\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has an ini config example');
  const dir = mkdtempSync(join(tmpdir(), 'spliced-readme-'));
  try {
    const cfg = parseConfig(block[1].replace(/^(\s*path = ).*$/m, `$1${dir}`), join(dir, 'spliced.conf'));
    assert.deepEqual(cfg.warnings.filter((w) => !/valid user "alice" is not in the users file/.test(w)), []);
    assert.equal(cfg.options.shares[0]?.name, 'data');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
