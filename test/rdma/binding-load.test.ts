// Host-side checks of how the binding degrades: the build without RDMA headers, and the
// loader's one-line reasons (the server logs "SMB Direct disabled: <reason>").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RDMA_APT_LINE, listRdmaDevices, loadRdmaBinding } from '../../native/index.js';
import { REPO_ROOT } from '../support/vm.js';

const BUILT_ADDON = join(REPO_ROOT, 'native', 'build', 'Release', 'spliced_rdma.node');

function withAddonPath<T>(path: string | undefined, fn: () => T): T {
  const saved = process.env.SPLICED_RDMA_ADDON;
  if (path === undefined) delete process.env.SPLICED_RDMA_ADDON;
  else process.env.SPLICED_RDMA_ADDON = path;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.SPLICED_RDMA_ADDON;
    else process.env.SPLICED_RDMA_ADDON = saved;
  }
}

test('without the RDMA headers the build prints the apt line, builds spliced_fs only and exits 0', { timeout: 300_000 }, () => {
  // SPLICED_NATIVE_NO_RDMA stands for a host without libibverbs-dev/librdmacm-dev; the build goes
  // to a copy of the project (inside the repo, where node-addon-api resolves) so native/build stays as it is.
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  const project = mkdtempSync(join(REPO_ROOT, '.cache', 'native-no-rdma-'));
  try {
    const build = join(REPO_ROOT, 'native', 'build.mjs');
    const r = spawnSync(process.execPath, [build, '--project-dir', project], { encoding: 'utf8', env: { ...process.env, SPLICED_NATIVE_NO_RDMA: '1' } });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(r.stdout.includes(RDMA_APT_LINE), r.stdout);
    assert.ok(existsSync(join(project, 'build', 'Release', 'spliced_fs.node')), 'spliced_fs was built');
    assert.ok(!existsSync(join(project, 'build', 'Release', 'spliced_rdma.node')), 'spliced_rdma was not');
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});

test('a missing addon gives one line on how to build it', () => {
  const loaded = withAddonPath(join(REPO_ROOT, '.cache', 'no-such-addon.node'), () => loadRdmaBinding());
  assert.ok('error' in loaded);
  assert.match(loaded.error, /not built/);
  assert.ok(loaded.error.includes(RDMA_APT_LINE) && loaded.error.includes('npm run build:native'));
  assert.doesNotMatch(loaded.error, /\n/);
});

test('a file that is not an addon gives a load error, not a throw', () => {
  const loaded = withAddonPath(join(REPO_ROOT, 'native', 'README.md'), () => loadRdmaBinding());
  assert.ok('error' in loaded);
  assert.match(loaded.error, /cannot load the RDMA addon/);
  assert.doesNotMatch(loaded.error, /\n/);
});

test('the built addon loads; requireDevice fails exactly when no device is visible', { skip: !existsSync(BUILT_ADDON) && 'the addon is not built: npm run build:native' }, () => {
  const loaded = withAddonPath(undefined, () => loadRdmaBinding());
  assert.ok('binding' in loaded, 'error' in loaded ? loaded.error : '');
  const devices = listRdmaDevices(loaded.binding);
  const strict = withAddonPath(undefined, () => loadRdmaBinding({ requireDevice: true }));
  assert.equal('error' in strict, devices.length === 0);
  if ('error' in strict) assert.match(strict.error, /no RDMA device/);
  const slab = loaded.binding.allocSlab(5000);
  assert.equal(slab.byteLength, 5000);
  loaded.binding.freeSlab(slab);
  assert.equal(slab.byteLength, 0);
});
