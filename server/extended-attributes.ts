/**
 * SMB extended attributes ([MS-FSA] 2.1.5.12 FileFullEaInformation, 2.1.5.14 set, the create's
 * EA buffer) kept as the file's user.* extended attributes, under the names Samba uses, so files
 * keep their EAs whichever of the two serves them.
 */
import { Status, SmbStatusError } from '../smb2/status.js';
import type { ExtendedAttribute } from '../smb2/info/extended-attributes.js';
import type { HostFs } from './host-fs.js';
import { errnoCode, hostFailure } from './share-root.js';

/** Names plus values read from one file at most: Linux caps one file's attributes at 64 KiB per value. */
const MAX_LIST_BYTES = 256 * 1024;
/** Samba's own user.* attributes (DOS attributes, ACL, streams): not EAs. */
const PRIVATE_NAMES = /^(DOSATTRIB|SAMBA_PAI|DosStream\..*)$/i;
const MAX_NAME = 255;
const MAX_VALUE = 0xffff;
const NOT_SUPPORTED_CODES = ['ENOTSUP', 'EOPNOTSUPP'];

/** Whether this host keeps EAs at all (the addon has the calls). */
export function easSupported(fs: HostFs): boolean {
  return fs.listUserXattrs !== undefined && fs.setUserXattr !== undefined;
}

/** The file's EAs (names as stored), none where the file system keeps no user attributes. */
export async function readEas(fs: HostFs, fd: number): Promise<ExtendedAttribute[]> {
  if (!fs.listUserXattrs) return [];
  let listed: Array<{ name: string; value: Buffer }>;
  try {
    listed = await fs.listUserXattrs(fd, MAX_LIST_BYTES);
  } catch (err) {
    if (NOT_SUPPORTED_CODES.includes(errnoCode(err) ?? '')) return [];
    if (errnoCode(err) === 'E2BIG') throw new SmbStatusError(Status.INSUFFICIENT_RESOURCES, 'extended attributes too large');
    throw hostFailure(err);
  }
  return listed
    .filter((a) => !PRIVATE_NAMES.test(a.name) && a.name.length <= MAX_NAME && a.value.length <= MAX_VALUE && /^[\x20-\x7e]+$/.test(a.name))
    .map((a) => ({ name: a.name, value: a.value, flags: 0 }));
}

/**
 * Set each EA (an empty value removes it). EA names are case-insensitive: a stored name that
 * differs only in case is replaced.
 */
export async function writeEas(fs: HostFs, fd: number, eas: readonly ExtendedAttribute[]): Promise<void> {
  if (!fs.setUserXattr || eas.length === 0) {
    if (eas.length > 0) throw new SmbStatusError(Status.EAS_NOT_SUPPORTED);
    return;
  }
  const stored = await readEas(fs, fd);
  try {
    for (const ea of eas) {
      for (const old of stored) if (old.name !== ea.name && old.name.toUpperCase() === ea.name) await fs.setUserXattr(fd, old.name, null);
      await fs.setUserXattr(fd, ea.name, ea.value.length > 0 ? ea.value : null);
    }
  } catch (err) {
    if (NOT_SUPPORTED_CODES.includes(errnoCode(err) ?? '')) throw new SmbStatusError(Status.EAS_NOT_SUPPORTED);
    throw hostFailure(err);
  }
}
