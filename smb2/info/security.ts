import { Writer } from '../../wire/writer.js';
import { SecurityInformation } from './classes.js';

/** SECURITY_DESCRIPTOR Control bits, [MS-DTYP] 2.4.6. */
export const SecurityDescriptorControl = {
  SE_OWNER_DEFAULTED: 0x0001,
  SE_GROUP_DEFAULTED: 0x0002,
  SE_DACL_PRESENT: 0x0004,
  SE_DACL_DEFAULTED: 0x0008,
  SE_SACL_PRESENT: 0x0010,
  SE_DACL_PROTECTED: 0x1000,
  SE_SELF_RELATIVE: 0x8000,
} as const;

/** ACCESS_MASK bits, [MS-DTYP] 2.4.3, and the file-specific rights of [MS-SMB2] 2.2.13.1.1. */
export const AccessMask = {
  FILE_READ_DATA: 0x1,
  FILE_WRITE_DATA: 0x2,
  FILE_APPEND_DATA: 0x4,
  FILE_READ_EA: 0x8,
  FILE_WRITE_EA: 0x10,
  FILE_EXECUTE: 0x20,
  FILE_DELETE_CHILD: 0x40,
  FILE_READ_ATTRIBUTES: 0x80,
  FILE_WRITE_ATTRIBUTES: 0x100,
  DELETE: 0x10000,
  READ_CONTROL: 0x20000,
  WRITE_DAC: 0x40000,
  WRITE_OWNER: 0x80000,
  SYNCHRONIZE: 0x100000,
  /** FILE_GENERIC_READ */
  GENERIC_READ_FILE: 0x120089,
  /** FILE_GENERIC_WRITE */
  GENERIC_WRITE_FILE: 0x120116,
  /** FILE_GENERIC_EXECUTE */
  GENERIC_EXECUTE_FILE: 0x1200a0,
  FILE_ALL_ACCESS: 0x1f01ff,
} as const;

/** ACE and ACL constants, [MS-DTYP] 2.4.4.1 and 2.4.5. */
const ACCESS_ALLOWED_ACE_TYPE = 0x00;
const ACL_REVISION = 2;
const SECURITY_DESCRIPTOR_REVISION = 1;
const SID_REVISION = 1;

/** A SID as IdentifierAuthority plus SubAuthorities, [MS-DTYP] 2.4.2. */
export interface Sid {
  authority: number;
  subAuthorities: number[];
}

/** Samba's Unix user and group SIDs, S-1-22-1-uid and S-1-22-2-gid. */
export const unixUserSid = (uid: number): Sid => ({ authority: 22, subAuthorities: [1, uid] });
export const unixGroupSid = (gid: number): Sid => ({ authority: 22, subAuthorities: [2, gid] });
/** Everyone, S-1-1-0, [MS-DTYP] 2.4.2.4. */
export const EVERYONE_SID: Sid = { authority: 1, subAuthorities: [0] };


/** [MS-DTYP] 2.4.2.2: the 48-bit IdentifierAuthority is big-endian, the rest little-endian. */
function writeSid(w: Writer, sid: Sid): void {
  const authority = Buffer.alloc(6);
  authority.writeUIntBE(sid.authority, 0, 6);
  w.u8(SID_REVISION).u8(sid.subAuthorities.length).bytes(authority);
  for (const sub of sid.subAuthorities) w.u32(sub);
}

interface Ace {
  sid: Sid;
  mask: number;
}

/**
 * What one rwx triple of a Unix mode grants, as Samba maps it: all three bits are
 * FILE_ALL_ACCESS, otherwise the generic read, write and execute sets (write on a
 * directory also lets entries be deleted).
 */
export function maskForPermissions(rwx: number, isDirectory: boolean): number {
  if ((rwx & 7) === 7) return AccessMask.FILE_ALL_ACCESS;
  let mask = 0;
  if (rwx & 4) mask |= AccessMask.GENERIC_READ_FILE;
  if (rwx & 2) mask |= AccessMask.GENERIC_WRITE_FILE | (isDirectory ? AccessMask.FILE_DELETE_CHILD : 0);
  if (rwx & 1) mask |= AccessMask.GENERIC_EXECUTE_FILE;
  return mask;
}

/** Owner, group and Everyone ACEs from the permission bits, always all three (a 0 mask grants nothing). */
export function acesForMode(facts: SecurityFacts): Ace[] {
  return [
    { sid: unixUserSid(facts.uid), mask: maskForPermissions(facts.mode >> 6, facts.isDirectory) },
    { sid: unixGroupSid(facts.gid), mask: maskForPermissions(facts.mode >> 3, facts.isDirectory) },
    { sid: EVERYONE_SID, mask: maskForPermissions(facts.mode, facts.isDirectory) },
  ];
}

/** [MS-DTYP] 2.4.5 ACL holding ACCESS_ALLOWED_ACEs ([MS-DTYP] 2.4.4.2), no inheritance flags. */
function writeDacl(w: Writer, aces: Ace[]): void {
  const aclStart = w.position;
  w.u8(ACL_REVISION).u8(0);
  const aclSize = w.reserveU16();
  w.u16(aces.length).u16(0);
  for (const ace of aces) {
    const aceStart = w.position;
    w.u8(ACCESS_ALLOWED_ACE_TYPE).u8(0);
    const aceSize = w.reserveU16();
    w.u32(ace.mask);
    writeSid(w, ace.sid);
    w.fillU16(aceSize, w.position - aceStart);
  }
  w.fillU16(aclSize, w.position - aclStart);
}

export interface SecurityFacts {
  uid: number;
  gid: number;
  /** st_mode; only the 0o777 bits are used. */
  mode: number;
  isDirectory: boolean;
}

/**
 * A self-relative SECURITY_DESCRIPTOR, [MS-DTYP] 2.4.6, for QUERY_INFO SMB2_0_INFO_SECURITY
 * ([MS-SMB2] 3.3.5.20.3): owner, group and DACL, each only when AdditionalInformation asks for it.
 * There is never a SACL; a request for one gets none.
 */
export function encodeSecurityDescriptor(additionalInformation: number, facts: SecurityFacts): Buffer {
  const wantOwner = (additionalInformation & SecurityInformation.OWNER_SECURITY_INFORMATION) !== 0;
  const wantGroup = (additionalInformation & SecurityInformation.GROUP_SECURITY_INFORMATION) !== 0;
  const wantDacl = (additionalInformation & SecurityInformation.DACL_SECURITY_INFORMATION) !== 0;
  let control: number = SecurityDescriptorControl.SE_SELF_RELATIVE;
  // The DACL stands for the mode bits alone: PROTECTED tells clients nothing is inherited.
  if (wantDacl) control |= SecurityDescriptorControl.SE_DACL_PRESENT | SecurityDescriptorControl.SE_DACL_PROTECTED;

  const w = new Writer(0, 160);
  w.u8(SECURITY_DESCRIPTOR_REVISION).u8(0).u16(control);
  const ownerOffset = w.reserveU32();
  const groupOffset = w.reserveU32();
  w.u32(0); // OffsetSacl
  const daclOffset = w.reserveU32();
  if (wantOwner) {
    w.fillU32(ownerOffset, w.position);
    writeSid(w, unixUserSid(facts.uid));
  }
  if (wantGroup) {
    w.fillU32(groupOffset, w.position);
    writeSid(w, unixGroupSid(facts.gid));
  }
  if (wantDacl) {
    w.fillU32(daclOffset, w.position);
    writeDacl(w, acesForMode(facts));
  }
  return w.finish();
}
