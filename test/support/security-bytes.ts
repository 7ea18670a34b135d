/** Hand-built [MS-DTYP] security descriptors for tests, spelled out with the independent byte builder. */
import { cat, le16, le32 } from './bytes.js';

/** [MS-DTYP] 2.4.2.2 SID: Revision 1, SubAuthorityCount, 48-bit big-endian authority, sub-authorities. */
export function sidBytes(authority: number, ...subs: number[]): Buffer {
  const auth = Buffer.alloc(6);
  auth.writeUIntBE(authority, 0, 6);
  return cat([1, subs.length], auth, ...subs.map(le32));
}

export const unixUser = (uid: number) => sidBytes(22, 1, uid);
export const unixGroup = (gid: number) => sidBytes(22, 2, gid);
export const EVERYONE = sidBytes(1, 0);

/** [MS-DTYP] 2.4.4.2/2.4.4.4 ACCESS_ALLOWED (0) / ACCESS_DENIED (1) ACE: type, flags, size, mask, SID. */
export function aceBytes(type: number, mask: number, sid: Buffer, flags = 0): Buffer {
  return cat([type, flags], le16(8 + sid.length), le32(mask), sid);
}

/** [MS-DTYP] 2.4.5 ACL: revision 2, Sbz1, AclSize, AceCount, Sbz2, ACEs. */
export function aclBytes(aces: Buffer[]): Buffer {
  const body = Buffer.concat(aces);
  return cat([2, 0], le16(8 + body.length), le16(aces.length), le16(0), body);
}

/**
 * A self-relative SECURITY_DESCRIPTOR ([MS-DTYP] 2.4.6): header (20 bytes), then owner, group and
 * DACL in that order. `dacl` null is a NULL DACL (DACL_PRESENT, offset 0); undefined, no DACL.
 */
export function securityDescriptorBytes(o: { owner?: Buffer; group?: Buffer; dacl?: Buffer | null }): Buffer {
  const SE_DACL_PRESENT = 0x4;
  const SE_SELF_RELATIVE = 0x8000;
  let at = 20;
  const place = (b: Buffer | undefined | null) => {
    if (!b) return 0;
    const offset = at;
    at += b.length;
    return offset;
  };
  const ownerOffset = place(o.owner);
  const groupOffset = place(o.group);
  const daclOffset = place(o.dacl);
  const control = SE_SELF_RELATIVE | (o.dacl !== undefined ? SE_DACL_PRESENT : 0);
  return cat([1, 0], le16(control), le32(ownerOffset), le32(groupOffset), le32(0), le32(daclOffset), o.owner ?? [], o.group ?? [], o.dacl ?? []);
}
