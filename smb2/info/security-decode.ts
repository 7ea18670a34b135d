/**
 * Decoding a self-relative SECURITY_DESCRIPTOR, [MS-DTYP] 2.4.6, as SET_INFO SMB2_0_INFO_SECURITY
 * ([MS-SMB2] 2.2.39) and the SMB2_CREATE_SD_BUFFER create context (2.2.13.2.2) carry it: the owner
 * and group SIDs and the DACL's allow and deny ACEs. Other ACE types are kept as 'other'.
 */
import { Reader } from '../../wire/reader.js';
import { DecodeError } from '../../wire/decode-error.js';
import { Status } from '../status.js';
import { SecurityDescriptorControl, type Sid } from './security.js';

/** The create context that carries a security descriptor, [MS-SMB2] 2.2.13.2. */
export const SD_BUFFER_CONTEXT = 'SecD';

/** ACE types, [MS-DTYP] 2.4.4.1. */
const ACCESS_ALLOWED_ACE_TYPE = 0x00;
const ACCESS_DENIED_ACE_TYPE = 0x01;
/** AceFlags bit of an ACE that only passes to children, [MS-DTYP] 2.4.4.1. */
export const INHERIT_ONLY_ACE = 0x08;
const SECURITY_DESCRIPTOR_REVISION = 1;
const SID_HEADER = 8;
const MAX_SUB_AUTHORITIES = 15;

export interface DecodedAce {
  kind: 'allow' | 'deny' | 'other';
  flags: number;
  mask: number;
  sid: Sid | null;
}

export interface DecodedSecurityDescriptor {
  control: number;
  owner: Sid | null;
  group: Sid | null;
  /** undefined: no DACL given (SE_DACL_PRESENT clear); null: a NULL DACL (everyone full access). */
  dacl: DecodedAce[] | null | undefined;
}

function malformed(why: string): DecodeError {
  return new DecodeError(`security descriptor: ${why}`, Status.INVALID_PARAMETER);
}

/** [MS-DTYP] 2.4.2.2: Revision, SubAuthorityCount, 48-bit big-endian authority, sub-authorities. */
function readSid(r: Reader): Sid {
  if (r.u8() !== 1) throw malformed('SID revision');
  const count = r.u8();
  if (count > MAX_SUB_AUTHORITIES) throw malformed('SID sub-authority count');
  const authority = r.bytes(6).readUIntBE(0, 6);
  const subAuthorities: number[] = [];
  for (let i = 0; i < count; i++) subAuthorities.push(r.u32());
  return { authority, subAuthorities };
}

function sidAt(buf: Buffer, offset: number): Sid | null {
  if (offset === 0) return null;
  const r = new Reader(buf);
  if (offset < 0 || offset + SID_HEADER > buf.length) throw malformed(`SID offset ${offset}`);
  r.seek(offset);
  return readSid(r);
}

/** [MS-DTYP] 2.4.5 ACL: AclRevision, Sbz1, AclSize, AceCount, Sbz2, then AceCount ACEs of AceSize each. */
function aclAt(buf: Buffer, offset: number): DecodedAce[] {
  const head = new Reader(buf);
  head.seek(offset);
  head.skip(2);
  const size = head.u16();
  const count = head.u16();
  head.skip(2);
  const r = head.sub(offset, size);
  r.seek(head.offset);
  const aces: DecodedAce[] = [];
  for (let i = 0; i < count; i++) {
    const start = r.offset;
    const type = r.u8();
    const flags = r.u8();
    const aceSize = r.u16();
    if (aceSize < 8) throw malformed(`ACE size ${aceSize}`);
    const ace = r.sub(start, aceSize);
    ace.seek(r.offset);
    const mask = ace.u32();
    const kind = type === ACCESS_ALLOWED_ACE_TYPE ? 'allow' : type === ACCESS_DENIED_ACE_TYPE ? 'deny' : 'other';
    aces.push({ kind, flags, mask, sid: kind === 'other' ? null : readSid(ace) });
    r.seek(start + aceSize);
  }
  return aces;
}

export function decodeSecurityDescriptor(buf: Buffer): DecodedSecurityDescriptor {
  const r = new Reader(buf);
  if (r.u8() !== SECURITY_DESCRIPTOR_REVISION) throw malformed('revision');
  r.u8();
  const control = r.u16();
  if (!(control & SecurityDescriptorControl.SE_SELF_RELATIVE)) throw malformed('not self-relative');
  const ownerOffset = r.u32();
  const groupOffset = r.u32();
  r.u32(); // OffsetSacl: a SACL is not kept
  const daclOffset = r.u32();
  let dacl: DecodedAce[] | null | undefined;
  if (control & SecurityDescriptorControl.SE_DACL_PRESENT) dacl = daclOffset === 0 ? null : aclAt(buf, daclOffset);
  return { control, owner: sidAt(buf, ownerOffset), group: sidAt(buf, groupOffset), dacl };
}
