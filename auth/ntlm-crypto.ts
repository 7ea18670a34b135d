import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Reader, Writer, DecodeError } from '../wire/index.js';
import { AuthError } from './auth-error.js';
import { Status } from '../smb2/status.js';
import { NtlmFlag, NtlmSize } from './ntlm-constants.js';
import { Rc4 } from './rc4.js';

export function hmacMd5(key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(Uppercase(User) || UserDom)), [MS-NLMP] 3.3.2. */
export function ntowfv2(ntHash: Buffer, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(user.toUpperCase() + domain, 'utf16le'));
}

/** NTLMv2_CLIENT_CHALLENGE ("temp"), [MS-NLMP] 2.2.2.7 and 3.3.2. */
export interface ClientChallengeBlob {
  timestamp: bigint;
  clientChallenge: Buffer;
  /** The AV_PAIR list including MsvAvEOL. */
  avPairs: Buffer;
}

/** RespType and HiRespType of NTLMv2_CLIENT_CHALLENGE, [MS-NLMP] 2.2.2.7. */
const RESP_TYPE = 1;
const HI_RESP_TYPE = 1;

export function encodeClientBlob(b: ClientChallengeBlob): Buffer {
  const w = new Writer(0, 64 + b.avPairs.length);
  w.u8(RESP_TYPE).u8(HI_RESP_TYPE).zeros(6).u64(b.timestamp).bytes(b.clientChallenge).zeros(4);
  w.bytes(b.avPairs).zeros(4);
  return w.finish();
}

export function decodeClientBlob(temp: Buffer): ClientChallengeBlob {
  const r = new Reader(temp);
  if (r.u8() !== RESP_TYPE || r.u8() !== HI_RESP_TYPE) throw new DecodeError('unknown NTLMv2 response type');
  r.skip(6);
  const timestamp = r.u64();
  const clientChallenge = r.bytes(NtlmSize.CLIENT_CHALLENGE);
  r.skip(4);
  return { timestamp, clientChallenge, avPairs: r.bytes(r.remaining) };
}

/** NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge || temp), [MS-NLMP] 3.3.2. */
export function ntProofStr(responseKeyNt: Buffer, serverChallenge: Buffer, temp: Buffer): Buffer {
  return hmacMd5(responseKeyNt, serverChallenge, temp);
}

/** SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr), [MS-NLMP] 3.3.2; for NTLMv2 it is also KXKEY (3.4.5.1). */
export function sessionBaseKey(responseKeyNt: Buffer, proof: Buffer): Buffer {
  return hmacMd5(responseKeyNt, proof);
}

/** Magic constants of SIGNKEY and SEALKEY, [MS-NLMP] 3.4.5.2-3.4.5.3 (NUL-terminated). */
const MAGIC = {
  clientSign: 'session key to client-to-server signing key magic constant\0',
  serverSign: 'session key to server-to-client signing key magic constant\0',
  clientSeal: 'session key to client-to-server sealing key magic constant\0',
  serverSeal: 'session key to server-to-client sealing key magic constant\0',
} as const;

export type Direction = 'client-to-server' | 'server-to-client';

/** SIGNKEY with extended session security, [MS-NLMP] 3.4.5.2. */
export function signKey(exportedSessionKey: Buffer, direction: Direction): Buffer {
  const magic = direction === 'client-to-server' ? MAGIC.clientSign : MAGIC.serverSign;
  return createHash('md5').update(exportedSessionKey).update(magic, 'latin1').digest();
}

/** SEALKEY with extended session security, [MS-NLMP] 3.4.5.3: the key is cut to 128, 56 or 40 bits first. */
export function sealKey(exportedSessionKey: Buffer, flags: number, direction: Direction): Buffer {
  let base = exportedSessionKey;
  if (!(flags & NtlmFlag.NEGOTIATE_128)) base = exportedSessionKey.subarray(0, flags & NtlmFlag.NEGOTIATE_56 ? 7 : 5);
  const magic = direction === 'client-to-server' ? MAGIC.clientSeal : MAGIC.serverSeal;
  return createHash('md5').update(base).update(magic, 'latin1').digest();
}

/** NTLMSSP_MESSAGE_SIGNATURE Version, [MS-NLMP] 2.2.2.9.1. */
const SIGNATURE_VERSION = 1;

/**
 * One direction of NTLM session security with extended session security, [MS-NLMP] 3.4.4.2:
 * MAC = Version || RC4(handle, HMAC_MD5(SignKey, SeqNum || Message)[0..7]) || SeqNum, where the
 * checksum is RC4-sealed only when key exchange was negotiated. The RC4 handle lives as long
 * as this object, so sealing and signing share one key stream as the spec requires.
 */
export class NtlmSessionSecurity {
  private readonly handle: Rc4;

  constructor(
    private readonly signingKey: Buffer,
    sealingKey: Buffer,
    private readonly keyExchange: boolean,
  ) {
    this.handle = new Rc4(sealingKey);
  }

  static forDirection(exportedSessionKey: Buffer, flags: number, direction: Direction): NtlmSessionSecurity {
    if (!(flags & NtlmFlag.NEGOTIATE_EXTENDED_SESSIONSECURITY)) {
      throw new AuthError('NTLM signing without extended session security is not supported', Status.NOT_SUPPORTED);
    }
    const keyExchange = (flags & NtlmFlag.NEGOTIATE_KEY_EXCH) !== 0;
    return new NtlmSessionSecurity(signKey(exportedSessionKey, direction), sealKey(exportedSessionKey, flags, direction), keyExchange);
  }

  /** The 16-byte NTLMSSP_MESSAGE_SIGNATURE of `message`, [MS-NLMP] 3.4.4.2 (GSS_GetMIC). */
  sign(seqNum: number, message: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(seqNum >>> 0);
    let checksum = hmacMd5(this.signingKey, seq, message).subarray(0, 8);
    if (this.keyExchange) checksum = this.handle.process(checksum);
    const w = new Writer(0, 16);
    return w.u32(SIGNATURE_VERSION).bytes(checksum).bytes(seq).finish();
  }

  /** Seals then signs, [MS-NLMP] 3.4.3 (GSS_WrapEx); the checksum continues the same RC4 stream. */
  seal(seqNum: number, message: Buffer): { sealed: Buffer; signature: Buffer } {
    const sealed = this.handle.process(message);
    return { sealed, signature: this.sign(seqNum, message) };
  }

  verify(seqNum: number, message: Buffer, signature: Buffer): boolean {
    return constantTimeEqual(this.sign(seqNum, message), signature);
  }
}

/** FILETIME now: 100 ns ticks since 1601-01-01, [MS-DTYP] 2.3.3. */
export function fileTimeNow(): bigint {
  const EPOCH_DIFF_MS = 11644473600000n;
  return (BigInt(Date.now()) + EPOCH_DIFF_MS) * 10000n;
}
