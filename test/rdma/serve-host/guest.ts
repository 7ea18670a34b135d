// Runs in the VM as root (test/rdma/serve-rdma-host.test.ts): what `serve` relies on around SMB
// Direct on a real rxe device. Prints one `CHECK {json}` line per check for the host test.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeRdma } from '../../../ops/rdma-devices.js';
import { memlockTarget } from '../../../ops/memlock.js';

function check(name: string, ok: boolean, detail: unknown): void {
  console.log(`CHECK ${JSON.stringify({ name, ok, detail })}`);
}

const modes = ['/dev/infiniband/rdma_cm', '/dev/infiniband/uverbs0'].map((p) => [p, (statSync(p).mode & 0o777).toString(8)]);
check('device nodes are 0666, so the unprivileged user can open new ones', modes.every(([, m]) => m === '666'), modes);

const probe = probeRdma();
check('the probe finds rxe0 over dummy0', JSON.stringify(probe) === JSON.stringify({ devices: [{ name: 'rxe0', netdevs: ['dummy0'] }] }), probe);

const drop = (mode: string) => spawnSync(process.execPath, ['--import', 'tsx', 'test/rdma/serve-host/memlock-drop.ts', mode], { encoding: 'utf8', timeout: 180_000 });
const plain = drop('plain');
check('as nobody without the raise, registering 64 MiB fails with ENOMEM (RLIMIT_MEMLOCK 8 MiB)', /^FAILED ENOMEM uid=65534$/m.test(plain.stdout), plain.stdout + plain.stderr);
const raised = drop('raise');
check('raised before the drop, the limit survives setuid and 64 MiB registers as nobody', /^REGISTERED uid=65534$/m.test(raised.stdout), raised.stdout + raised.stderr);

/** serve as root with user = nobody and rdma port set: the SMB Direct line, the drop, the memlock limit, SIGTERM. */
async function serveAsNobody(): Promise<void> {
  const work = mkdtempSync('/tmp/spliced-rdma-serve-');
  chmodSync(work, 0o755);
  mkdirSync(join(work, 'share'), { mode: 0o777 });
  const cacheBytes = 64 * 1024 * 1024;
  writeFileSync(join(work, 'spliced.conf'), ['[global]', '  tcp port = 4450', '  rdma port = 5445', '  cache size = 64M', '  user = nobody',
    '  metrics address = 127.0.0.1:0', '[pub]', `  path = ${join(work, 'share')}`, '  guest ok = yes', ''].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'serve', '--config', join(work, 'spliced.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  for (let i = 0; i < 1800 && !/smbclient \/\//.test(out) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
  const lines = err.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; level: number; devices?: string[] });
  const about = lines.filter((l) => /SMB Direct/.test(l.msg));
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  check('serve dropped to nobody after starting SMB Direct', /^Uid:\s+65534\s+65534\s+65534\s+65534$/m.test(status), status.split('\n').filter((l) => /^Uid/.test(l)));
  const listening = about.find((l) => l.msg === 'listening on SMB Direct');
  if (listening) {
    const limits = readFileSync(`/proc/${child.pid}/limits`, 'utf8');
    const locked = Number(/^Max locked memory\s+(\d+|unlimited)/m.exec(limits)?.[1] ?? 0);
    check('listening on rxe0 as nobody, with RLIMIT_MEMLOCK at cache size + margin', about.length === 1 && JSON.stringify(listening.devices) === '["rxe0(dummy0)"]' && locked >= memlockTarget(cacheBytes), { about, locked });
  } else {
    check('one line says SMB Direct is off and why (the smbdirect module is not in this tree)', about.length === 1 && /^SMB Direct is not (built yet|available)/.test(about[0]?.msg ?? '') && about[0]?.level === 40, about);
  }
  child.kill('SIGTERM');
  const code = await exit;
  check('SIGTERM: exit 0', code === 0, { code, tail: err.split('\n').slice(-4) });
}

await serveAsNobody();
