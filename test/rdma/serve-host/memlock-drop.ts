// Runs in the VM as root (from guest.ts): opens rxe0, optionally raises RLIMIT_MEMLOCK the way
// `serve` does, drops to nobody, then registers 64 MiB. Prints one line: REGISTERED or FAILED <code>.
import { loadFsBinding } from '../../../native/fs.js';
import { loadRdmaBinding } from '../../../native/index.js';
import { raiseMemlock } from '../../../ops/memlock.js';
import { dropPrivileges, lookupAccount } from '../../../ops/privileges.js';

const SLAB = 64 * 1024 * 1024;
const raise = process.argv[2] === 'raise';
const fs = loadFsBinding();
const rdma = loadRdmaBinding({ requireDevice: true });
if ('error' in fs || 'error' in rdma) throw new Error('error' in fs ? fs.error : (rdma as { error: string }).error);
const resource = fs.binding.constants.RLIMIT_MEMLOCK;
const b = rdma.binding;
const pd = new b.ProtectionDomain(await b.openContext('rxe0'));
if (raise) raiseMemlock({ get: () => fs.binding.getrlimit(resource), set: (s, h) => fs.binding.setrlimit(resource, s, h) }, SLAB + 16 * 1024 * 1024);
dropPrivileges(lookupAccount('nobody'));
try {
  const mr = await b.registerMemory(pd, b.allocSlab(SLAB), 1 /* IBV_ACCESS_LOCAL_WRITE */);
  console.log(`REGISTERED uid=${process.getuid!()}`);
  mr.close();
} catch (err) {
  console.log(`FAILED ${(err as NodeJS.ErrnoException).code} uid=${process.getuid!()}`);
}
process.exit(0);
