import { Access, MODIFYING_ACCESS } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';

/** Generic rights mapped to file rights, [MS-SMB2] 2.2.13.1.1 and [MS-FSA] 2.1.5.1.2.1. */
const GENERIC_MAPPING: Array<[number, number]> = [
  [Access.GENERIC_READ, 0x00120089],
  [Access.GENERIC_WRITE, 0x00120116],
  [Access.GENERIC_EXECUTE, 0x001200a0],
  [Access.GENERIC_ALL, 0x001f01ff],
];

/**
 * The access an open gets: generic bits mapped, MAXIMUM_ALLOWED widened to what the tree
 * allows, and modifying rights the tree does not allow refused (read-only shares).
 */
export function grantedAccess(desired: number, maximal: number): number {
  let access = desired & ~(Access.GENERIC_ALL | Access.GENERIC_READ | Access.GENERIC_WRITE | Access.GENERIC_EXECUTE | Access.MAXIMUM_ALLOWED);
  for (const [generic, mapped] of GENERIC_MAPPING) if (desired & generic) access |= mapped;
  if (desired & Access.MAXIMUM_ALLOWED) access |= maximal;
  if (access & MODIFYING_ACCESS & ~maximal) throw new SmbStatusError(Status.ACCESS_DENIED);
  return (access & ~Access.ACCESS_SYSTEM_SECURITY) >>> 0;
}

export function canRead(access: number): boolean {
  return (access & (Access.FILE_READ_DATA | Access.FILE_EXECUTE)) !== 0;
}

export function canWrite(access: number): boolean {
  return (access & (Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA)) !== 0;
}

export function requireAccess(granted: number, needed: number): void {
  if ((granted & needed) === 0) throw new SmbStatusError(Status.ACCESS_DENIED);
}
