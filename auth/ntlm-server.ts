import { randomBytes } from 'node:crypto';
import { DecodeError } from '../wire/index.js';
import { AuthError } from './auth-error.js';
import { Status } from '../smb2/status.js';
import { AvFlag, AvId, NtlmFlag, NtlmSize } from './ntlm-constants.js';
import {
  AUTHENTICATE_MIC_OFFSET,
  type AuthenticateMessage,
  decodeAuthenticate,
  decodeAvPairs,
  decodeNegotiate,
  encodeAvPairs,
  encodeChallenge,
  readAuthenticateMic,
} from './ntlm-messages.js';
import { constantTimeEqual, decodeClientBlob, fileTimeNow, hmacMd5, ntowfv2, ntProofStr, sessionBaseKey } from './ntlm-crypto.js';
import { rc4 } from './rc4.js';
import type { UserAccount, UserDb } from './user-db.js';

export { AuthError } from './auth-error.js';

export interface AuthResult {
  user: string;
  domain: string;
  anonymous: boolean;
  guest: boolean;
  /** The 16-byte exported session key; empty for anonymous and guest sessions (no signing). */
  sessionKey: Buffer;
}

export interface NtlmServerOptions {
  users: UserDb;
  /** NetBIOS name of this server, reported in the CHALLENGE target info. */
  serverName: string;
  /** Domain (workgroup) name reported in the CHALLENGE; clients may authenticate with any domain. */
  domain: string;
  /** Like Samba's `map to guest = bad user`: an unknown user becomes a guest instead of failing. */
  mapUnknownUserToGuest?: boolean;
  /** Source of the 8-byte ServerChallenge; defaults to crypto.randomBytes. Tests inject the spec's value. */
  challengeSource?: () => Buffer;
}

/** Flags the server can agree to, [MS-NLMP] 2.2.2.5; the CHALLENGE carries their intersection with the client's. */
const NEGOTIABLE =
  NtlmFlag.REQUEST_TARGET |
  NtlmFlag.NEGOTIATE_SIGN |
  NtlmFlag.NEGOTIATE_SEAL |
  NtlmFlag.NEGOTIATE_ALWAYS_SIGN |
  NtlmFlag.NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NtlmFlag.NEGOTIATE_128 |
  NtlmFlag.NEGOTIATE_KEY_EXCH |
  NtlmFlag.NEGOTIATE_56;
const ALWAYS =
  NtlmFlag.NEGOTIATE_UNICODE |
  NtlmFlag.NEGOTIATE_NTLM |
  NtlmFlag.TARGET_TYPE_SERVER |
  NtlmFlag.NEGOTIATE_TARGET_INFO |
  NtlmFlag.NEGOTIATE_VERSION;

const failure = (why: string): AuthError => new AuthError(why, Status.LOGON_FAILURE);

/**
 * The server side of one NTLMv2 exchange ([MS-NLMP] 3.2): one object per SESSION_SETUP
 * exchange, because AUTHENTICATE is checked against this object's challenge and the MIC covers
 * all three messages. LM and NTLMv1 responses are refused.
 */
export class NtlmServer {
  private negotiateMessage?: Buffer;
  private challengeMessage?: Buffer;
  private serverChallenge?: Buffer;
  private negotiatedFlags = 0;
  private exported: Buffer = Buffer.alloc(0);
  /** One AUTHENTICATE per challenge, successful or not: a failed guess cannot be retried. */
  private answered = false;

  constructor(private readonly opts: NtlmServerOptions) {}

  /** NEGOTIATE_MESSAGE in, CHALLENGE_MESSAGE out, [MS-NLMP] 3.2.5.1.1. */
  challenge(negotiateMessage: Buffer): Buffer {
    if (this.challengeMessage) throw new AuthError('NTLM challenge already sent', Status.INVALID_PARAMETER);
    const negotiate = asAuthError(() => decodeNegotiate(negotiateMessage), 'NEGOTIATE_MESSAGE');
    this.negotiatedFlags = ALWAYS | (negotiate.flags & NEGOTIABLE);
    this.serverChallenge = this.opts.challengeSource?.() ?? randomBytes(NtlmSize.CHALLENGE);
    if (this.serverChallenge.length !== NtlmSize.CHALLENGE) throw new RangeError('server challenge must be 8 bytes');
    this.negotiateMessage = Buffer.from(negotiateMessage);
    this.challengeMessage = encodeChallenge({
      flags: this.negotiatedFlags,
      targetName: this.opts.serverName.toUpperCase(),
      serverChallenge: this.serverChallenge,
      targetInfo: this.targetInfo(),
    });
    return Buffer.from(this.challengeMessage);
  }

  /** TargetInfo AV pairs, [MS-NLMP] 2.2.1.2; MsvAvTimestamp makes clients send a MIC (3.1.5.1.2). */
  private targetInfo(): Buffer {
    const timestamp = Buffer.alloc(8);
    timestamp.writeBigUInt64LE(fileTimeNow());
    const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');
    return encodeAvPairs([
      { id: AvId.NB_DOMAIN_NAME, value: utf16(this.opts.domain.toUpperCase()) },
      { id: AvId.NB_COMPUTER_NAME, value: utf16(this.opts.serverName.toUpperCase()) },
      { id: AvId.DNS_DOMAIN_NAME, value: utf16(this.opts.domain.toLowerCase()) },
      { id: AvId.DNS_COMPUTER_NAME, value: utf16(this.opts.serverName.toLowerCase()) },
      { id: AvId.TIMESTAMP, value: timestamp },
    ]);
  }

  /** AUTHENTICATE_MESSAGE in, identity and session key out, [MS-NLMP] 3.2.5.1.2. */
  authenticate(authenticateMessage: Buffer): AuthResult {
    if (!this.challengeMessage || !this.serverChallenge) throw new AuthError('NTLM AUTHENTICATE before CHALLENGE', Status.INVALID_PARAMETER);
    if (this.answered) throw new AuthError('NTLM exchange already complete', Status.INVALID_PARAMETER);
    this.answered = true;
    return asAuthError(() => this.check(decodeAuthenticate(authenticateMessage), authenticateMessage), 'AUTHENTICATE_MESSAGE');
  }

  /** Flags in force after AUTHENTICATE: what the client sent, limited to what the CHALLENGE offered. */
  get flags(): number {
    return this.negotiatedFlags;
  }

  /** ExportedSessionKey for NTLM session security (mechListMIC); empty for anonymous and guest. */
  get exportedSessionKey(): Buffer {
    return this.exported;
  }

  private check(msg: AuthenticateMessage, raw: Buffer): AuthResult {
    const base = { user: msg.user, domain: msg.domain, anonymous: false, guest: false, sessionKey: Buffer.alloc(0) };
    if (isAnonymous(msg)) return { ...base, anonymous: true };
    // smbclient -N first tries the Unix user name with no password at all, then falls back to anonymous.
    if (msg.ntResponse.length === 0) throw failure(`no password proof for user ${JSON.stringify(msg.user)}`);
    if (msg.ntResponse.length <= NtlmSize.NTLMV1_RESPONSE) throw failure('LM and NTLMv1 responses are refused');
    this.negotiatedFlags = this.negotiatedFlags & (msg.flags | ALWAYS);
    const account = this.opts.users.lookup(msg.user);
    if (!account) {
      if (this.opts.mapUnknownUserToGuest) return { ...base, guest: true };
      throw failure(`unknown user ${JSON.stringify(msg.user)}`);
    }
    const baseKey = this.verifyNtlmv2(account, msg);
    this.exported = this.exportedKey(baseKey, msg);
    this.verifyMic(msg, raw);
    return { ...base, user: account.name, sessionKey: Buffer.from(this.exported) };
  }

  /**
   * Checks NTProofStr and returns the session base key, [MS-NLMP] 3.3.2. Clients differ in the
   * domain they hash (as typed, upper-cased, or empty), so like Samba each is tried.
   */
  private verifyNtlmv2(account: UserAccount, msg: AuthenticateMessage): Buffer {
    const proof = msg.ntResponse.subarray(0, NtlmSize.NT_PROOF);
    const temp = msg.ntResponse.subarray(NtlmSize.NT_PROOF);
    decodeClientBlob(temp);
    const domains = [...new Set([msg.domain, msg.domain.toUpperCase(), ''])];
    for (const domain of domains) {
      const responseKey = ntowfv2(account.ntHash, msg.user, domain);
      if (constantTimeEqual(ntProofStr(responseKey, this.serverChallenge!, temp), proof)) return sessionBaseKey(responseKey, proof);
    }
    throw failure(`wrong password for ${JSON.stringify(msg.user)}`);
  }

  /** ExportedSessionKey, [MS-NLMP] 3.2.5.1.2: with KEY_EXCH it is RC4(KeyExchangeKey, EncryptedRandomSessionKey). */
  private exportedKey(keyExchangeKey: Buffer, msg: AuthenticateMessage): Buffer {
    if (!(this.negotiatedFlags & NtlmFlag.NEGOTIATE_KEY_EXCH)) return keyExchangeKey;
    if (msg.encryptedRandomSessionKey.length !== NtlmSize.SESSION_KEY) {
      throw new AuthError('key exchange negotiated without a 16-byte EncryptedRandomSessionKey', Status.INVALID_PARAMETER);
    }
    return rc4(keyExchangeKey, msg.encryptedRandomSessionKey);
  }

  /** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE || CHALLENGE || AUTHENTICATE with MIC zeroed), [MS-NLMP] 3.1.5.1.2. */
  private verifyMic(msg: AuthenticateMessage, raw: Buffer): void {
    if (!micPresent(msg)) return;
    const received = readAuthenticateMic(raw);
    const zeroed = Buffer.from(raw);
    zeroed.fill(0, AUTHENTICATE_MIC_OFFSET, AUTHENTICATE_MIC_OFFSET + NtlmSize.MIC);
    const expected = hmacMd5(this.exported, this.negotiateMessage!, this.challengeMessage!, zeroed);
    if (!constantTimeEqual(expected, received)) throw failure('AUTHENTICATE_MESSAGE MIC mismatch');
  }
}

/** Runs a decoding step, reporting a DecodeError as AuthError(STATUS_INVALID_PARAMETER). */
function asAuthError<T>(run: () => T, what: string): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof DecodeError) throw new AuthError(`malformed ${what}: ${e.message}`, Status.INVALID_PARAMETER);
    throw e;
  }
}

/** Anonymous: no user and no NT response; the LM response is empty or one zero byte, [MS-NLMP] 3.2.5.1.2. */
function isAnonymous(msg: AuthenticateMessage): boolean {
  const lmEmpty = msg.lmResponse.length === 0 || (msg.lmResponse.length === 1 && msg.lmResponse[0] === 0);
  return msg.user === '' && msg.ntResponse.length === 0 && lmEmpty;
}

/** MsvAvFlags bit 0x2 in the NTLMv2 response's AV pairs says the MIC field is filled in, [MS-NLMP] 2.2.2.1. */
function micPresent(msg: AuthenticateMessage): boolean {
  const blob = decodeClientBlob(msg.ntResponse.subarray(NtlmSize.NT_PROOF));
  const flags = decodeAvPairs(blob.avPairs).find((p) => p.id === AvId.FLAGS);
  if (!flags) return false;
  if (flags.value.length !== 4) throw new DecodeError('MsvAvFlags must be 4 bytes');
  return (flags.value.readUInt32LE(0) & AvFlag.MIC_PRESENT) !== 0;
}
