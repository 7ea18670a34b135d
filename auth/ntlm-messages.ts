import { Reader, Writer, DecodeError } from '../wire/index.js';
import { AvId, NTLMSSP_REVISION_W2K3, NTLMSSP_SIGNATURE, NtlmFlag, NtlmMessageType, NtlmSize } from './ntlm-constants.js';

/** One AV_PAIR, [MS-NLMP] 2.2.2.1. */
export interface AvPair {
  id: number;
  value: Buffer;
}

export interface NegotiateMessage {
  flags: number;
}

export interface ChallengeMessage {
  flags: number;
  targetName: string;
  serverChallenge: Buffer;
  targetInfo: Buffer;
}

export interface AuthenticateMessage {
  flags: number;
  lmResponse: Buffer;
  ntResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
}

/** VERSION we report, [MS-NLMP] 2.2.2.10: Windows 6.1 build 7601 layout, revision 15. */
const OUR_VERSION = { major: 6, minor: 1, build: 7601 } as const;
/** The MIC sits right after Version in AUTHENTICATE_MESSAGE, [MS-NLMP] 2.2.1.3. */
export const AUTHENTICATE_MIC_OFFSET = 72;
/** Header sizes including Version (and MIC for AUTHENTICATE), [MS-NLMP] 2.2.1.1-2.2.1.3. */
const NEGOTIATE_HEADER = 40;
const CHALLENGE_HEADER = 56;
const AUTHENTICATE_HEADER = 88;

function writeVersion(w: Writer): void {
  w.u8(OUR_VERSION.major).u8(OUR_VERSION.minor).u16(OUR_VERSION.build).zeros(3).u8(NTLMSSP_REVISION_W2K3);
}

/** Reads "NTLMSSP\0" and the MessageType, throwing DecodeError on anything else. */
function readPreamble(r: Reader, expected: number): void {
  if (!r.bytes(8).equals(NTLMSSP_SIGNATURE)) throw new DecodeError('not an NTLMSSP message');
  const type = r.u32();
  if (type !== expected) throw new DecodeError(`NTLM message type ${type}, expected ${expected}`);
}

/** A Len/MaxLen/Offset field triple, resolved to its bounds-checked payload, [MS-NLMP] 2.2.1. */
function readField(r: Reader): Buffer {
  const length = r.u16();
  r.u16();
  const offset = r.u32();
  return r.slice(offset, length);
}

function readUnicode(r: Reader, unicode: boolean): string {
  const raw = readField(r);
  if (!unicode) return raw.toString('latin1');
  if (raw.length % 2 !== 0) throw new DecodeError('odd length UTF-16 field in NTLM message');
  return raw.toString('utf16le');
}

/** Collects payload fields and writes their Len/MaxLen/Offset triples once positions are known. */
class PayloadFields {
  private readonly pending: Array<{ handle: number; data: Buffer }> = [];

  constructor(private readonly w: Writer) {}

  field(data: Buffer): void {
    this.w.u16(data.length).u16(data.length);
    this.pending.push({ handle: this.w.reserveU32(), data });
  }

  writePayload(): void {
    for (const p of this.pending) {
      this.w.fillU32(p.handle, this.w.position);
      this.w.bytes(p.data);
    }
  }
}

export function decodeNegotiate(msg: Buffer): NegotiateMessage {
  const r = new Reader(msg);
  readPreamble(r, NtlmMessageType.NEGOTIATE);
  return { flags: r.u32() };
}

export function encodeNegotiate(flags: number): Buffer {
  const w = new Writer(0, NEGOTIATE_HEADER);
  w.bytes(NTLMSSP_SIGNATURE).u32(NtlmMessageType.NEGOTIATE).u32(flags | NtlmFlag.NEGOTIATE_VERSION);
  const fields = new PayloadFields(w);
  fields.field(Buffer.alloc(0));
  fields.field(Buffer.alloc(0));
  writeVersion(w);
  fields.writePayload();
  return w.finish();
}

export function encodeChallenge(m: ChallengeMessage): Buffer {
  const w = new Writer(0, 256);
  w.bytes(NTLMSSP_SIGNATURE).u32(NtlmMessageType.CHALLENGE);
  const fields = new PayloadFields(w);
  fields.field(Buffer.from(m.targetName, 'utf16le'));
  w.u32(m.flags).bytes(m.serverChallenge).zeros(8);
  fields.field(m.targetInfo);
  writeVersion(w);
  if (w.position !== CHALLENGE_HEADER) throw new Error('CHALLENGE_MESSAGE header size');
  fields.writePayload();
  return w.finish();
}

export function decodeChallenge(msg: Buffer): ChallengeMessage {
  const r = new Reader(msg);
  readPreamble(r, NtlmMessageType.CHALLENGE);
  const targetNameRaw = readField(r);
  const flags = r.u32();
  const serverChallenge = Buffer.from(r.bytes(NtlmSize.CHALLENGE));
  r.skip(8);
  const targetInfo = readField(r);
  const unicode = (flags & NtlmFlag.NEGOTIATE_UNICODE) !== 0;
  const targetName = unicode ? targetNameRaw.toString('utf16le') : targetNameRaw.toString('latin1');
  return { flags, targetName, serverChallenge, targetInfo };
}

/** Encodes AUTHENTICATE_MESSAGE with room for a MIC (zero here; the caller fills it in). */
export function encodeAuthenticate(m: AuthenticateMessage): Buffer {
  const w = new Writer(0, 512);
  w.bytes(NTLMSSP_SIGNATURE).u32(NtlmMessageType.AUTHENTICATE);
  const fields = new PayloadFields(w);
  fields.field(m.lmResponse);
  fields.field(m.ntResponse);
  fields.field(Buffer.from(m.domain, 'utf16le'));
  fields.field(Buffer.from(m.user, 'utf16le'));
  fields.field(Buffer.from(m.workstation, 'utf16le'));
  fields.field(m.encryptedRandomSessionKey);
  w.u32(m.flags | NtlmFlag.NEGOTIATE_VERSION);
  writeVersion(w);
  w.zeros(NtlmSize.MIC);
  if (w.position !== AUTHENTICATE_HEADER) throw new Error('AUTHENTICATE_MESSAGE header size');
  fields.writePayload();
  return w.finish();
}

export function decodeAuthenticate(msg: Buffer): AuthenticateMessage {
  const r = new Reader(msg);
  readPreamble(r, NtlmMessageType.AUTHENTICATE);
  const lmResponse = readField(r);
  const ntResponse = readField(r);
  // The strings' encoding depends on the flags, which come after their field triples.
  const stringFields = r.offset;
  r.skip(3 * 8);
  const encryptedRandomSessionKey = readField(r);
  const flags = r.u32();
  const unicode = (flags & NtlmFlag.NEGOTIATE_UNICODE) !== 0;
  r.seek(stringFields);
  const domain = readUnicode(r, unicode);
  const user = readUnicode(r, unicode);
  const workstation = readUnicode(r, unicode);
  return { flags, lmResponse, ntResponse, domain, user, workstation, encryptedRandomSessionKey };
}

/** The MIC field of an AUTHENTICATE_MESSAGE, [MS-NLMP] 2.2.1.3 (present when MsvAvFlags says so). */
export function readAuthenticateMic(msg: Buffer): Buffer {
  return new Reader(msg).slice(AUTHENTICATE_MIC_OFFSET, NtlmSize.MIC);
}

export function encodeAvPairs(pairs: AvPair[]): Buffer {
  const w = new Writer(0, 128);
  for (const p of pairs) w.u16(p.id).u16(p.value.length).bytes(p.value);
  w.u16(AvId.EOL).u16(0);
  return w.finish();
}

/** Parses an AV_PAIR list up to MsvAvEOL, [MS-NLMP] 2.2.2.1. A missing EOL is an error. */
export function decodeAvPairs(buf: Buffer): AvPair[] {
  const r = new Reader(buf);
  const pairs: AvPair[] = [];
  for (;;) {
    const id = r.u16();
    const length = r.u16();
    if (id === AvId.EOL) return pairs;
    pairs.push({ id, value: r.bytes(length) });
  }
}
