#!/usr/bin/env node
// Builds the rdma-core addon with the node-gyp that npm bundles.
//   node native/build.mjs          -> native/build/Release/spliced_rdma.node
//   node native/build.mjs --asan   -> .cache/native-asan/build/Release/spliced_rdma.node
// Without the RDMA headers it explains how to get them and exits 0: the server then runs
// over TCP only (see loadRdmaBinding()).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(nativeDir, '..');
export const APT_LINE = 'apt-get install libibverbs-dev librdmacm-dev';

function haveRdmaHeaders() {
  const probe = '#include <infiniband/verbs.h>\n#include <rdma/rdma_cma.h>\n';
  const cxx = process.env.CXX || 'c++';
  const r = spawnSync(cxx, ['-E', '-x', 'c++', '-'], { input: probe, stdio: ['pipe', 'ignore', 'ignore'] });
  return r.status === 0;
}

function nodeGypCommand() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const script = candidates.find((p) => p && existsSync(p));
  return script ? [process.execPath, script] : ['npx', 'node-gyp'];
}

// The headers of the running node, so node-gyp does not try to download them.
function nodeDirArgs() {
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
}

// A copy of binding.gyp for the ASan variant, with sources relative to its own folder.
function writeAsanProject(dir) {
  const gyp = JSON.parse(readFileSync(join(nativeDir, 'binding.gyp'), 'utf8'));
  gyp.variables.asan = 1;
  for (const target of gyp.targets) target.sources = target.sources.map((s) => relative(dir, join(nativeDir, s)));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'binding.gyp'), JSON.stringify(gyp, null, 2));
}

function run(cmd, args, cwd) {
  console.log(`native: ${[...cmd, ...args].join(' ')} (in ${cwd})`);
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd, stdio: 'inherit' });
  return r.status ?? 1;
}

function build(asan) {
  const projectDir = asan ? join(repoDir, '.cache', 'native-asan') : nativeDir;
  if (asan) writeAsanProject(projectDir);
  const gyp = nodeGypCommand();
  const makefile = join(projectDir, 'build', 'Makefile');
  const gypFile = join(projectDir, 'binding.gyp');
  if (!existsSync(makefile) || statSync(makefile).mtimeMs < statSync(gypFile).mtimeMs) {
    const status = run(gyp, ['configure', ...nodeDirArgs()], projectDir);
    if (status !== 0) return status;
  }
  return run(gyp, ['build', '-j', 'max'], projectDir);
}

if (!haveRdmaHeaders()) {
  console.log(`native: RDMA headers not found; SMB Direct will be disabled. To enable it: ${APT_LINE}`);
  process.exit(0);
}
const status = build(process.argv.includes('--asan'));
if (status !== 0) console.error('native: the addon build failed');
process.exit(status);
