// The test tree keeps the layout test/README.md describes: unit/ runs without external
// programs, suites hold only test files, and helpers shared between tests live in support/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TEST_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = ['unit', 'interop', 'ops'];
/** Helpers that start Samba's tools or a browser: interop/ and ops/ use them, unit/ does not. */
const EXTERNAL_HELPERS = ['samba.js', 'server-interop.js', 'browser.js', 'smb-core.js', 'smbtorture-suites.js'];
const EXTERNAL_PROGRAM = /['"`](?:\/usr\/s?bin\/)?(smbclient|smbd|nmbd|rpcclient|smbtorture|ndrdump|pdbedit|chromium|qemu-system-x86_64|qemu-img)['"`]/;

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

/** Module specifiers of static imports, re-exports and dynamic import() calls. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) found.push(m[1]!);
  return found;
}

const show = (p: string) => relative(TEST_ROOT, p);

test('unit/, interop/ and ops/ hold only *.test.ts files; helpers live in support/', () => {
  const strays = SUITES.flatMap((s) => filesUnder(join(TEST_ROOT, s))).filter((p) => !p.endsWith('.test.ts'));
  assert.deepEqual(strays.map(show), []);
});

test('no test file imports another test file, and test files import helpers from support/ only', () => {
  const support = join(TEST_ROOT, 'support') + sep;
  const wrong: string[] = [];
  for (const file of filesUnder(TEST_ROOT).filter((p) => /\.(ts|mjs)$/.test(p))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (/\.test\.(js|ts)$/.test(spec)) wrong.push(`${show(file)} imports the test file ${spec}`);
      if (!file.endsWith('.test.ts') || !spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (target.startsWith(TEST_ROOT + sep) && !target.startsWith(support)) wrong.push(`${show(file)} imports ${spec}, outside test/support`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('unit tests start no external program (smbd, smbclient, smbtorture, rpcclient, ndrdump, chromium, qemu): those go to interop/ or ops/', () => {
  const wrong: string[] = [];
  for (const file of filesUnder(join(TEST_ROOT, 'unit'))) {
    const source = readFileSync(file, 'utf8');
    for (const spec of specifiers(source)) {
      if (spec.startsWith('.') && EXTERNAL_HELPERS.some((h) => spec.endsWith(`/support/${h}`))) wrong.push(`${show(file)} imports ${spec}`);
    }
    const program = EXTERNAL_PROGRAM.exec(source);
    if (program) wrong.push(`${show(file)} names ${program[1]}`);
    // Children of a unit test are node itself (a crash or kill -9 of a writer, a sandboxed script).
    for (const m of source.matchAll(/(?<![.\w])(spawn|spawnSync|execFile|execFileSync|exec|execSync|fork)\(\s*([^,)]*)/g)) {
      if (m[2]!.trim() !== 'process.execPath') wrong.push(`${show(file)} runs ${m[1]}(${m[2]!.trim()})`);
    }
  }
  assert.deepEqual(wrong, []);
});
