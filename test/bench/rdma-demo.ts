/**
 * demo:rdma — SMB Direct without RDMA hardware, in one command: boots the soft-RoCE VM (test/vm;
 * run test/vm/prepare.sh once), serves a share with spliced over SMB Direct (rxe), mounts it with
 * the Linux kernel client (-o rdma), copies a file in and out and prints spliced's counters.
 * The guest side is test/bench/rdma-demo-guest.sh.
 *
 *   npm run demo:rdma
 */
import { lastLines, vmUnavailableReason } from '../support/vm.js';
import { runInVmLive } from '../support/vm-live.js';
import { smbDirectGuestEnv, smbDirectKit } from '../support/smb-direct-kit.js';
import { addGuestUser, buildSplicedForGuest } from '../support/guest-build.js';

const GUEST_BUILD = '.cache/vm/demo-dist';
const USERS_FILE = '.cache/vm/demo-users';
const ACCOUNT = { CIFS_USER: 'demo', CIFS_PASSWORD: 'Demo-Rdma-1' };

async function main(): Promise<number> {
  const unavailable = vmUnavailableReason();
  const kit = smbDirectKit();
  if (unavailable || typeof kit === 'string') {
    console.log(`demo:rdma: ${unavailable ?? kit}; run test/vm/prepare.sh first`);
    return 2;
  }
  console.log('demo:rdma: compiling spliced for the guest');
  buildSplicedForGuest(GUEST_BUILD, (line) => console.log(`demo:rdma: ${line}`));
  addGuestUser(GUEST_BUILD, USERS_FILE, ACCOUNT.CIFS_USER, ACCOUNT.CIFS_PASSWORD);
  console.log('demo:rdma: booting the VM (qemu TCG, soft-RoCE rxe0 on 10.77.0.1; about a minute)');
  const started = Date.now();
  const run = await runInVmLive({
    command: ['bash', 'test/bench/rdma-demo-guest.sh'],
    env: { SPLICED_CLI: `${GUEST_BUILD}/cli/main.js`, CIFS_USERS_FILE: USERS_FILE, ...ACCOUNT, ...smbDirectGuestEnv(kit) },
    timeoutMs: 600_000,
    prefix: 'demo: ',
    onLine: (line) => console.log(line.slice('demo: '.length)),
  });
  console.log(`demo:rdma: ${run.exitCode === 0 ? 'done' : `failed (exit ${run.exitCode})`} in ${((Date.now() - started) / 1000).toFixed(0)} s; guest output in ${run.outDir}`);
  if (run.exitCode !== 0 && !run.output.includes('demo: ')) console.log(lastLines(run.output, 30));
  return run.exitCode;
}

process.exitCode = await main();
