/**
 * A security descriptor set by SET_INFO ([MS-SMB2] 3.3.5.21.3) or given to a CREATE
 * (SMB2_CREATE_SD_BUFFER) mapped onto the file's owner, group and permission bits, the inverse of
 * what QUERY_INFO reports (smb2/info/security.ts), as Samba does without an ACL module: the owner's
 * ACEs set the user bits, the group's the group bits, Everyone's the other bits; read, write and
 * execute come from FILE_READ_DATA, FILE_WRITE_DATA/FILE_APPEND_DATA and FILE_EXECUTE (generic
 * rights mapped first), deny ACEs take bits away. ACEs for other SIDs and inherit-only ACEs have no
 * place in the mode bits and are dropped; a NULL DACL is full access for everyone.
 */
import { chmod, chown, fchmod as fchmodCb, fchown as fchownCb } from 'node:fs';
import { promisify } from 'node:util';
import { Access } from '../smb2/constants.js';
import { SecurityInformation } from '../smb2/info/classes.js';
import { AccessMask, EVERYONE_SID, type Sid } from '../smb2/info/security.js';
import { INHERIT_ONLY_ACE, type DecodedAce, type DecodedSecurityDescriptor } from '../smb2/info/security-decode.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import { requireAccess } from './access.js';
import type { HostStats } from './host-fs.js';
import { errnoCode, hostFailure } from './share-root.js';
import { onDescriptor } from './descriptor-fallback.js';

const fchmod = promisify(fchmodCb);
const fchown = promisify(fchownCb);
const chmodPath = promisify(chmod);
const chownPath = promisify(chown);

/** Samba's Unix SIDs: S-1-22-1-uid (users) and S-1-22-2-gid (groups). */
const UNIX_AUTHORITY = 22;
/** Generic rights as file rights, [MS-SMB2] 2.2.13.1.1. */
const GENERIC: Array<[number, number]> = [
  [Access.GENERIC_ALL, AccessMask.FILE_ALL_ACCESS],
  [Access.GENERIC_READ, AccessMask.GENERIC_READ_FILE],
  [Access.GENERIC_WRITE, AccessMask.GENERIC_WRITE_FILE],
  [Access.GENERIC_EXECUTE, AccessMask.GENERIC_EXECUTE_FILE],
];

function unixId(sid: Sid | null, kind: 1 | 2): number | undefined {
  if (!sid || sid.authority !== UNIX_AUTHORITY || sid.subAuthorities.length !== 2 || sid.subAuthorities[0] !== kind) return undefined;
  return sid.subAuthorities[1];
}

function sameSid(a: Sid | null, b: Sid): boolean {
  return !!a && a.authority === b.authority && a.subAuthorities.length === b.subAuthorities.length && a.subAuthorities.every((s, i) => s === b.subAuthorities[i]);
}

/** The rwx bits (4, 2, 1) an access mask stands for. */
export function permissionsForMask(mask: number): number {
  let m = mask;
  for (const [generic, mapped] of GENERIC) if (m & generic) m |= mapped;
  let rwx = 0;
  if (m & Access.FILE_READ_DATA) rwx |= 4;
  if (m & (Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA)) rwx |= 2;
  if (m & Access.FILE_EXECUTE) rwx |= 1;
  return rwx;
}

/**
 * The 0o777 bits a DACL stands for, given the file's owner and group; a NULL DACL is 0o777. A DACL
 * whose ACEs all name other SIDs (a client's own domain accounts) says nothing about the mode bits:
 * undefined, and the mode stays as it is rather than locking everyone out.
 */
export function modeForDacl(dacl: readonly DecodedAce[] | null, uid: number, gid: number): number | undefined {
  if (dacl === null) return 0o777;
  const classes: Array<{ shift: number; matches: (sid: Sid | null) => boolean }> = [
    { shift: 6, matches: (sid) => unixId(sid, 1) === uid },
    { shift: 3, matches: (sid) => unixId(sid, 2) === gid },
    { shift: 0, matches: (sid) => sameSid(sid, EVERYONE_SID) },
  ];
  const applies = (ace: DecodedAce) => ace.kind !== 'other' && !(ace.flags & INHERIT_ONLY_ACE);
  if (dacl.length > 0 && !dacl.some((ace) => applies(ace) && classes.some((c) => c.matches(ace.sid)))) return undefined;
  let mode = 0;
  for (const c of classes) {
    // In ACE order, as Windows evaluates a DACL: a bit is decided by the first ACE that names it.
    let allowed = 0;
    let denied = 0;
    for (const ace of dacl) {
      if (!applies(ace) || !c.matches(ace.sid)) continue;
      const bits = permissionsForMask(ace.mask);
      if (ace.kind === 'allow') allowed |= bits & ~denied;
      else denied |= bits & ~allowed;
    }
    mode |= allowed << c.shift;
  }
  return mode;
}

/** The access SET_INFO of these parts needs, [MS-SMB2] 3.3.5.21.3. */
export function checkSetSecurityAccess(granted: number, additionalInformation: number): void {
  if (additionalInformation & (SecurityInformation.OWNER_SECURITY_INFORMATION | SecurityInformation.GROUP_SECURITY_INFORMATION)) requireAccess(granted, Access.WRITE_OWNER);
  if (additionalInformation & SecurityInformation.DACL_SECURITY_INFORMATION) requireAccess(granted, Access.WRITE_DAC);
  if (additionalInformation & SecurityInformation.SACL_SECURITY_INFORMATION) requireAccess(granted, Access.ACCESS_SYSTEM_SECURITY);
}

/**
 * Apply the parts of `sd` that `additionalInformation` names (all of them for a CREATE) to the file
 * `fd` refers to, whose current stat is `st`. An owner or group the server's account may not give
 * the file is STATUS_INVALID_OWNER / STATUS_INVALID_PRIMARY_GROUP.
 */
export async function applySecurityDescriptor(fd: number, st: HostStats, sd: DecodedSecurityDescriptor, additionalInformation: number): Promise<void> {
  let uid = Number(st.uid);
  let gid = Number(st.gid);
  // An owner or group that is no Unix SID (a client's own account) leaves the file's as they are.
  if (additionalInformation & SecurityInformation.OWNER_SECURITY_INFORMATION) uid = unixId(sd.owner, 1) ?? uid;
  if (additionalInformation & SecurityInformation.GROUP_SECURITY_INFORMATION) gid = unixId(sd.group, 2) ?? gid;
  if (uid !== Number(st.uid) || gid !== Number(st.gid)) {
    await onDescriptor(fd, (d) => fchown(d, uid, gid), (p) => chownPath(p, uid, gid)).catch((err) => {
      if (errnoCode(err) === 'EPERM') throw new SmbStatusError(uid !== Number(st.uid) ? Status.INVALID_OWNER : Status.INVALID_PRIMARY_GROUP);
      throw hostFailure(err);
    });
  }
  if (!(additionalInformation & SecurityInformation.DACL_SECURITY_INFORMATION) || sd.dacl === undefined) return;
  const permissions = modeForDacl(sd.dacl, uid, gid);
  const mode = (Number(st.mode) & 0o7000) | (permissions ?? Number(st.mode) & 0o777);
  if (mode === (Number(st.mode) & 0o7777)) return;
  await onDescriptor(fd, (d) => fchmod(d, mode), (p) => chmodPath(p, mode)).catch((err) => {
    throw hostFailure(err);
  });
}
