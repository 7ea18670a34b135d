/**
 * Extended attribute lists, FILE_FULL_EA_INFORMATION [MS-FSCC] 2.4.15: the SMB2_CREATE_EA_BUFFER
 * create context ([MS-SMB2] 2.2.13.2.1), SET_INFO and QUERY_INFO of FileFullEaInformation. Each
 * entry: NextEntryOffset(4) Flags(1) EaNameLength(1) EaValueLength(2) EaName, a NUL, EaValue;
 * entries start on 4-byte boundaries and the last has NextEntryOffset 0.
 */
import { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { DecodeError } from '../../wire/decode-error.js';
import { Status } from '../status.js';

/** The create context that carries an EA list, [MS-SMB2] 2.2.13.2. */
export const EA_BUFFER_CONTEXT = 'ExtA';

export interface ExtendedAttribute {
  /** As stored: upper case, as NTFS keeps EA names (lookups are case-insensitive). */
  name: string;
  /** Setting an empty value deletes the attribute. */
  value: Buffer;
  /** FILE_NEED_EA (0x80) or 0. */
  flags: number;
}

const ENTRY_ALIGNMENT = 4;
/** Characters an EA name may not hold besides controls, [MS-FSCC] 2.4.15. */
const ILLEGAL_NAME_CHARS = '"*+,/:;<=>?[\\]|';

function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (const c of name) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e || ILLEGAL_NAME_CHARS.includes(c)) return false;
  }
  return true;
}

function inconsistent(why: string): DecodeError {
  return new DecodeError(`EA list: ${why}`, Status.INVALID_PARAMETER);
}

/** Decode a FILE_FULL_EA_INFORMATION list; a malformed one is STATUS_INVALID_PARAMETER. */
export function decodeEaList(buf: Buffer): ExtendedAttribute[] {
  const out: ExtendedAttribute[] = [];
  const r = new Reader(buf);
  while (r.remaining > 0) {
    const start = r.offset;
    const next = r.u32();
    const flags = r.u8();
    const nameLength = r.u8();
    const valueLength = r.u16();
    const name = r.bytes(nameLength).toString('latin1');
    if (r.u8() !== 0) throw inconsistent('name not NUL-terminated');
    if (!validName(name)) throw inconsistent(`invalid name "${name}"`);
    out.push({ name: name.toUpperCase(), flags, value: Buffer.from(r.bytes(valueLength)) });
    if (next === 0) break;
    if (next % ENTRY_ALIGNMENT !== 0 || start + next < r.offset || start + next >= buf.length) throw inconsistent(`NextEntryOffset ${next}`);
    r.seek(start + next);
  }
  return out;
}

/** Encode `eas` as a FILE_FULL_EA_INFORMATION list (empty for none). */
export function encodeEaList(eas: readonly ExtendedAttribute[]): Buffer {
  const w = new Writer(0, 64);
  eas.forEach((ea, i) => {
    const name = Buffer.from(ea.name, 'latin1');
    const start = w.position;
    const next = w.reserveU32();
    w.u8(ea.flags).u8(name.length).u16(ea.value.length).bytes(name).u8(0).bytes(ea.value);
    if (i < eas.length - 1) {
      w.align(ENTRY_ALIGNMENT);
      w.fillU32(next, w.position - start);
    }
  });
  return w.finish();
}

/** EaSize of FileEaInformation / FileAllInformation: the bytes the whole list takes, [MS-FSCC] 2.4.13. */
export function eaListSize(eas: readonly ExtendedAttribute[]): number {
  return eas.length === 0 ? 0 : encodeEaList(eas).length;
}
