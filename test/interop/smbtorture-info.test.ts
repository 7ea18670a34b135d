// smbtorture's smb2.getinfo and smb2.create subtests that judge info classes and CREATE details:
// file and fs classes and their buffer checks (8.3 names, quota information, EAs), the access each
// class needs, impersonation levels, temporary directories, mkdir of an existing name. Left out:
// getinfo.complex and create.blob/open (the complex file's creation time cannot be set on Linux
// without stored DOS attributes), getinfo.normalized (case-insensitive names and streams),
// create.gentest/aclfile/acldir/nulldacl/quota-fake-file (Samba 4.17 fails them too, see npm run torture).
import { smbtortureTests } from '../support/smbtorture-suites.js';

const GETINFO = ['fsinfo', 'qfs_buffercheck', 'qfile_buffercheck', 'qsec_buffercheck', 'granted', 'getinfo_access'];
const CREATE = ['brlocked', 'multi', 'delete', 'leading-slash', 'impersonation', 'mkdir-dup', 'dir-alloc-size', 'dosattr_tmp_dir'];
smbtortureTests([...GETINFO.map((t) => `smb2.getinfo.${t}`), ...CREATE.map((t) => `smb2.create.${t}`)]);
