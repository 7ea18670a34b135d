#!/usr/bin/env node
// Builds the addons with the node-gyp that npm bundles.
//   node native/build.mjs          -> native/build/Release/spliced_fs.node (+ spliced_rdma.node)
//   node native/build.mjs --asan   -> the same in .cache/native-asan/build/Release/
//   node native/build.mjs --project-dir DIR -> the same in DIR/build/Release/ (a copy of the project)
// SPLICED_NATIVE_NO_RDMA=1 builds as on a host without the RDMA headers.
// spliced_fs (the *at file system calls) is always built: the server refuses to serve
// without it. spliced_rdma needs the RDMA headers; without them it is skipped with a hint and
// the server runs over TCP only (see loadRdmaBinding()).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const repoDir = resolve(nativeDir, '..');
export const APT_LINE = 'apt-get install libibverbs-dev librdmacm-dev';

function haveRdmaHeaders() {
  if (process.env.SPLICED_NATIVE_NO_RDMA === '1') return false;
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

// A copy of binding.gyp in another folder (the ASan variant, or a test's), with sources relative to it.
function writeProjectCopy(dir, asan) {
  const gyp = JSON.parse(readFileSync(join(nativeDir, 'binding.gyp'), 'utf8'));
  if (asan) gyp.variables.asan = 1;
  const rdmaTargets = gyp.conditions.flatMap(([, branch]) => branch.targets ?? []);
  for (const target of [...gyp.targets, ...rdmaTargets]) target.sources = target.sources.map((s) => relative(dir, join(nativeDir, s)));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'binding.gyp'), JSON.stringify(gyp, null, 2));
}

function run(cmd, args, cwd) {
  console.log(`native: ${[...cmd, ...args].join(' ')} (in ${cwd})`);
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], { cwd, stdio: 'inherit' });
  return r.status ?? 1;
}

function projectDirFor(asan) {
  const at = process.argv.indexOf('--project-dir');
  if (at >= 0 && process.argv[at + 1]) return resolve(process.argv[at + 1]);
  return asan ? join(repoDir, '.cache', 'native-asan') : nativeDir;
}

function build(asan, rdma) {
  const projectDir = projectDirFor(asan);
  if (projectDir !== nativeDir) writeProjectCopy(projectDir, asan);
  const gyp = nodeGypCommand();
  // Configure every time: whether the RDMA target exists depends on this machine's headers.
  const status = run(gyp, ['configure', ...nodeDirArgs(), '--', `-Drdma=${rdma ? 1 : 0}`], projectDir);
  if (status !== 0) return status;
  return run(gyp, ['build', '-j', 'max'], projectDir);
}

const rdma = haveRdmaHeaders();
if (!rdma) console.log(`native: RDMA headers not found; building spliced_fs only, SMB Direct will be disabled. To enable it: ${APT_LINE}`);
const status = build(process.argv.includes('--asan'), rdma);
if (status !== 0) console.error('native: the addon build failed');
process.exit(status);
