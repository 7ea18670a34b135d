#!/usr/bin/env node
// Runs the test suites with node's test runner (TypeScript through tsx).
// Usage: node test/run.mjs [suite ...]   suites: unit interop rdma ops (default: all)
import { readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = dirname(fileURLToPath(import.meta.url));
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'interop', 'ops', 'rdma'];

function collect(dir) {
  let out = [];
  let entries = [];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries.sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// The RDMA suite boots a soft-RoCE VM from cached images; build them first when this machine can
// (qemu present). If it cannot, the suite itself prints one SKIP line saying how to enable it.
if (suites.includes('rdma') && spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' }).status === 0) {
  const prep = spawnSync('bash', [join(root, 'vm/prepare.sh')], { stdio: 'inherit' });
  if (prep.status !== 0) console.error('test/run.mjs: test/vm/prepare.sh failed; the RDMA suite will report why');
}

const files = suites.flatMap((s) => collect(join(root, s)));
if (files.length === 0) {
  console.error('no test files found for suites:', suites.join(' '));
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
const r = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: join(root, '..') });
process.exit(r.status ?? 1);
