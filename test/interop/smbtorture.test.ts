import { smbtortureTests } from '../support/smbtorture-suites.js';

// The smb2.lock subtests that need blocking locks: STATUS_PENDING, CANCEL, and the answers when the
// lock's open, tree or session goes away while it waits.
const LOCK_SUITES = ['smb2.lock.async', 'smb2.lock.cancel', 'smb2.lock.cancel-tdis', 'smb2.lock.cancel-logoff'];
// smb2.read.bug14607 skips itself: it needs Samba's private FSCTL_SMBTORTURE_GLOBAL_READ_RESPONSE_FLAGS.
smbtortureTests(['smb2.connect', 'smb2.read', 'smb2.rename', ...LOCK_SUITES], { allowSkip: ['bug14607'] });
