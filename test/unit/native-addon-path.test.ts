import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { addonCandidates } from '../../native/addon-path.js';

// Both addons are found next to the sources (tsx) and from a compiled copy anywhere below the
// repository (dist/, the VM suites' .cache/vm/*-dist/), which has no native/build of its own.
test('addon candidates: next to the module, then native/build in every folder above it', () => {
  delete process.env.SPLICED_TEST_ADDON;
  const url = pathToFileURL('/repo/.cache/vm/cifs-dist/native/index.js').href;
  const found = addonCandidates('spliced_rdma.node', 'SPLICED_TEST_ADDON', url);
  assert.equal(found[0], '/repo/.cache/vm/cifs-dist/native/build/Release/spliced_rdma.node');
  assert.ok(found.includes('/repo/native/build/Release/spliced_rdma.node'), found.join('\n'));
  assert.equal(found.at(-1), '/native/build/Release/spliced_rdma.node');
});

test('addon candidates: the environment variable, when set, is the only one', () => {
  process.env.SPLICED_TEST_ADDON = 'rel/x.node';
  try {
    assert.deepEqual(addonCandidates('x.node', 'SPLICED_TEST_ADDON', import.meta.url), [`${process.cwd()}/rel/x.node`]);
  } finally {
    delete process.env.SPLICED_TEST_ADDON;
  }
});
