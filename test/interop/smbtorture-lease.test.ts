// smb2.oplock and smb2.lease subtests that Samba 4.17 passes as an authenticated user, chosen
// to cover each rule in little time (each takes 0-9 s): grants and share-mode conflicts,
// breaks on opens, overwrites, stat opens, writes and byte-range locks, acknowledgments,
// lease upgrades, stepwise lease breaks while opens wait, epochs, the connection a lease
// break goes to, and renames waiting for handle caching to go. The whole suites run in
// `npm run torture`; the ones relying on the 35 s break timeout are left out here.
import { smbtortureTests } from '../support/smbtorture-suites.js';

smbtortureTests(
  [
    'smb2.oplock.exclusive1', 'smb2.oplock.exclusive2', 'smb2.oplock.exclusive5', 'smb2.oplock.batch1',
    'smb2.oplock.batch6', 'smb2.oplock.batch9', 'smb2.oplock.batch13', 'smb2.oplock.brl1',
    'smb2.oplock.levelii500', 'smb2.oplock.statopen1',
    'smb2.lease.nobreakself', 'smb2.lease.statopen', 'smb2.lease.upgrade3', 'smb2.lease.breaking1',
    'smb2.lease.breaking3', 'smb2.lease.v2_breaking3', 'smb2.lease.breaking4', 'smb2.lease.v2_epoch2',
    'smb2.lease.v2_complex1', 'smb2.lease.v2_rename', 'smb2.lease.lock1',
  ],
  { timeoutMs: 120_000 },
);
