import { Reader, DecodeError } from '../wire/index.js';
import { SMB1_PROTOCOL_ID } from './header.js';

/** SMB_COM_NEGOTIATE, [MS-CIFS] 2.2.4.52.1. */
const SMB_COM_NEGOTIATE = 0x72;
const SMB1_HEADER_SIZE = 32;

/**
 * The dialect strings of an SMB1 NEGOTIATE request, [MS-SMB2] 3.3.5.3.1: a client that
 * starts with SMB1 lists "SMB 2.002" and/or "SMB 2.???" to ask for an SMB2 upgrade.
 */
export function decodeSmb1Negotiate(msg: Buffer): string[] {
  const r = new Reader(msg);
  if (r.u32() !== SMB1_PROTOCOL_ID) throw new DecodeError('not SMB1');
  if (r.u8() !== SMB_COM_NEGOTIATE) throw new DecodeError('SMB1 command is not NEGOTIATE');
  r.seek(SMB1_HEADER_SIZE);
  const wordCount = r.u8();
  r.skip(wordCount * 2);
  const byteCount = r.u16();
  const bytes = r.bytes(byteCount);
  const dialects: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes[at] !== 0x02) throw new DecodeError('bad SMB1 dialect buffer format');
    const end = bytes.indexOf(0, at + 1);
    if (end < 0) throw new DecodeError('unterminated SMB1 dialect');
    dialects.push(bytes.toString('latin1', at + 1, end));
    at = end + 1;
  }
  return dialects;
}
