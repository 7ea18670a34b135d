import { randomBytes } from 'node:crypto';
import { DecodeError, Reader } from '../wire/index.js';
import { AuthError } from './auth-error.js';
import { Status } from '../smb2/status.js';
import { AvFlag, AvId, NtlmFlag, NtlmSize } from './ntlm-constants.js';
import {
  AUTHENTICATE_MIC_OFFSET,
  type AvPair,
  decodeAvPairs,
  decodeChallenge,
  encodeAuthenticate,
  encodeAvPairs,
  encodeNegotiate,
} from './ntlm-messages.js';
import { NtlmSessionSecurity, encodeClientBlob, fileTimeNow, hmacMd5, ntowfv2, ntProofStr, sessionBaseKey } from './ntlm-crypto.js';
import { ntHash } from './nt-hash.js';
import { rc4 } from './rc4.js';
import { NegState, ntlmMechTypesDer, spnegoClientInit, spnegoClientResp, spnegoParse } from './spnego.js';

/**
 * Who the client logs in as. `domain` goes into NTOWFv2 and AUTHENTICATE (default empty, which a
 * standalone server accepts); `workstation` is informational (default "SPLICED").
 */
export type ClientCredentials = { user: string; password: string; domain?: string; workstation?: string } | { anonymous: true };

/** What the client asks for, [MS-NLMP] 2.2.2.5: NTLMv2 with extended session security and key exchange. */
const CLIENT_FLAGS =
  NtlmFlag.NEGOTIATE_UNICODE |
  NtlmFlag.REQUEST_TARGET |
  NtlmFlag.NEGOTIATE_SIGN |
  NtlmFlag.NEGOTIATE_NTLM |
  NtlmFlag.NEGOTIATE_ALWAYS_SIGN |
  NtlmFlag.NEGOTIATE_EXTENDED_SESSIONSECURITY |
  NtlmFlag.NEGOTIATE_VERSION |
  NtlmFlag.NEGOTIATE_128 |
  NtlmFlag.NEGOTIATE_KEY_EXCH |
  NtlmFlag.NEGOTIATE_56;

/** The client side of NTLMv2 ([MS-NLMP] 3.1), without SPNEGO. */
export class NtlmClient {
  private negotiateMessage?: Buffer;
  /** ExportedSessionKey; empty for anonymous. */
  sessionKey: Buffer = Buffer.alloc(0);
  /** NegotiateFlags from the CHALLENGE, which this client echoes in AUTHENTICATE. */
  flags = 0;
  /** True when the AUTHENTICATE carried a MIC, so the peer expects SPNEGO mechListMICs. */
  sentMic = false;

  constructor(private readonly creds: ClientCredentials) {}

  private get anonymous(): boolean {
    return 'anonymous' in this.creds;
  }

  negotiate(): Buffer {
    const flags = this.anonymous ? CLIENT_FLAGS & ~NtlmFlag.NEGOTIATE_KEY_EXCH : CLIENT_FLAGS;
    this.negotiateMessage = encodeNegotiate(flags);
    return Buffer.from(this.negotiateMessage);
  }

  /** CHALLENGE_MESSAGE in, AUTHENTICATE_MESSAGE out, [MS-NLMP] 3.1.5.1.2. */
  authenticate(challengeMessage: Buffer): Buffer {
    if (!this.negotiateMessage) throw new Error('NtlmClient.authenticate before negotiate');
    const challenge = decodeChallenge(challengeMessage);
    this.flags = challenge.flags;
    if ('anonymous' in this.creds) return this.anonymousAuthenticate(challenge.flags);
    const { user, password } = this.creds;
    const domain = this.creds.domain ?? '';
    const serverPairs = decodeAvPairs(challenge.targetInfo);
    const serverTime = serverPairs.find((p) => p.id === AvId.TIMESTAMP);
    this.sentMic = serverTime !== undefined;

    const responseKey = ntowfv2(ntHash(password), user, domain);
    const temp = encodeClientBlob({
      timestamp: serverTime ? new Reader(serverTime.value).u64() : fileTimeNow(),
      clientChallenge: randomBytes(NtlmSize.CLIENT_CHALLENGE),
      avPairs: encodeAvPairs(this.sentMic ? withMicFlag(serverPairs) : serverPairs),
    });
    const proof = ntProofStr(responseKey, challenge.serverChallenge, temp);
    const keyExchangeKey = sessionBaseKey(responseKey, proof);
    const keyExchange = (challenge.flags & NtlmFlag.NEGOTIATE_KEY_EXCH) !== 0;
    this.sessionKey = keyExchange ? randomBytes(NtlmSize.SESSION_KEY) : keyExchangeKey;

    const message = encodeAuthenticate({
      flags: challenge.flags,
      // With MsvAvTimestamp the LM response must be Z(24), [MS-NLMP] 3.1.5.1.2.
      lmResponse: Buffer.alloc(24),
      ntResponse: Buffer.concat([proof, temp]),
      domain,
      user,
      workstation: this.creds.workstation ?? 'SPLICED',
      encryptedRandomSessionKey: keyExchange ? rc4(keyExchangeKey, this.sessionKey) : Buffer.alloc(0),
    });
    if (this.sentMic) {
      hmacMd5(this.sessionKey, this.negotiateMessage, challengeMessage, message).copy(message, AUTHENTICATE_MIC_OFFSET);
    }
    return message;
  }

  /** Anonymous AUTHENTICATE: empty user and NT response, LM response Z(1), [MS-NLMP] 3.2.5.1.2. */
  private anonymousAuthenticate(flags: number): Buffer {
    return encodeAuthenticate({
      flags: (flags & ~NtlmFlag.NEGOTIATE_KEY_EXCH) | NtlmFlag.NEGOTIATE_ANONYMOUS,
      lmResponse: Buffer.alloc(1),
      ntResponse: Buffer.alloc(0),
      domain: '',
      user: '',
      workstation: '',
      encryptedRandomSessionKey: Buffer.alloc(0),
    });
  }
}

/** Adds MsvAvFlags with MIC_PRESENT (merging any flags the server sent), [MS-NLMP] 3.1.5.1.2. */
function withMicFlag(pairs: AvPair[]): AvPair[] {
  const existing = pairs.find((p) => p.id === AvId.FLAGS);
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(((existing ? new Reader(existing.value).u32() : 0) | AvFlag.MIC_PRESENT) >>> 0);
  return [...pairs.filter((p) => p.id !== AvId.FLAGS), { id: AvId.FLAGS, value: flags }];
}

type ClientState = 'initial' | 'negotiated' | 'authenticated' | 'done';

/**
 * spliced's own client side of SESSION_SETUP: SPNEGO around NTLMv2, with mechListMIC both ways.
 * first() gives the first security buffer; next() takes each server token and gives the next
 * buffer. Call next() with the final server token too: it verifies the server's mechListMIC
 * and returns an empty buffer.
 */
export class ClientAuthExchange {
  private readonly ntlm: NtlmClient;
  private state: ClientState = 'initial';
  private readonly mechTypesDer = ntlmMechTypesDer();
  /** True once the server's mechListMIC has been checked (never for anonymous or guest sessions). */
  serverMicVerified = false;

  constructor(creds: ClientCredentials) {
    this.ntlm = new NtlmClient(creds);
  }

  get sessionKey(): Buffer {
    return this.ntlm.sessionKey;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  first(): Buffer {
    if (this.state !== 'initial') throw new Error('ClientAuthExchange.first called twice');
    this.state = 'negotiated';
    return spnegoClientInit(this.ntlm.negotiate());
  }

  next(serverToken: Buffer): Buffer {
    try {
      const reply = spnegoParse(serverToken);
      if (reply.kind !== 'resp') throw new AuthError('expected a SPNEGO NegTokenResp', Status.INVALID_PARAMETER);
      if (reply.negState === NegState.reject) throw new AuthError('server rejected the authentication');
      if (this.state === 'negotiated') return this.answerChallenge(reply.mechToken);
      if (this.state === 'authenticated') return this.finish(reply.negState, reply.mechListMic);
      throw new AuthError('authentication exchange already complete', Status.INVALID_PARAMETER);
    } catch (e) {
      if (e instanceof DecodeError) throw new AuthError(`malformed server token: ${e.message}`, Status.INVALID_PARAMETER);
      throw e;
    }
  }

  private answerChallenge(challenge: Buffer | undefined): Buffer {
    if (!challenge) throw new AuthError('server sent no NTLM challenge', Status.INVALID_PARAMETER);
    const authenticate = this.ntlm.authenticate(challenge);
    this.state = 'authenticated';
    if (!this.ntlm.sentMic) return spnegoClientResp(authenticate);
    const mic = NtlmSessionSecurity.forDirection(this.sessionKey, this.ntlm.flags, 'client-to-server').sign(0, this.mechTypesDer);
    return spnegoClientResp(authenticate, mic);
  }

  private finish(negState: number | undefined, serverMic: Buffer | undefined): Buffer {
    if (negState !== NegState['accept-completed']) throw new AuthError(`SPNEGO negState ${negState} after AUTHENTICATE`);
    if (serverMic) {
      const inbound = NtlmSessionSecurity.forDirection(this.sessionKey, this.ntlm.flags, 'server-to-client');
      if (!inbound.verify(0, this.mechTypesDer, serverMic)) throw new AuthError('server mechListMIC does not verify', Status.ACCESS_DENIED);
      this.serverMicVerified = true;
    }
    this.state = 'done';
    return Buffer.alloc(0);
  }
}
