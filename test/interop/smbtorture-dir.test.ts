// smbtorture's smb2.dir subtests as an independent judge of QUERY_DIRECTORY: every info class,
// small fixed buffers, single-entry / restart / reopen continuations over hundreds of files, and
// large listings. Left out: smb2.dir.one and smb2.dir.modify fail with a client-side
// INVALID_PARAMETER in steps that are not listings (smb2_create_complex_file and the path-based
// delete-on-close after it; no QUERY_DIRECTORY fails), and smb2.dir.file-index skips itself
// because FileIndex is 0, as on NTFS.
import { smbtortureTests } from '../support/smbtorture-suites.js';

smbtortureTests(['smb2.dir.find', 'smb2.dir.fixed', 'smb2.dir.many', 'smb2.dir.sorted', 'smb2.dir.large-files']);
