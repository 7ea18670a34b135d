import { DecodeError } from '../wire/index.js';
import { AuthError } from './auth-error.js';
import { Status } from '../smb2/status.js';
import { NtlmSessionSecurity } from './ntlm-crypto.js';
import { type AuthResult, NtlmServer, type NtlmServerOptions } from './ntlm-server.js';
import { NTLMSSP_OID, type NegStateName, type SpnegoIn, isNtlmssp, spnegoParse, spnegoResponse } from './spnego.js';

export type AuthStep = { done: false; outToken: Buffer } | { done: true; outToken: Buffer; result: AuthResult };

type ExchangeState = 'initial' | 'mech-selected' | 'challenged' | 'done';

/**
 * One SESSION_SETUP exchange on the server: SPNEGO ([RFC 4178], [MS-SPNG]) around NTLMv2, with
 * the mechListMIC checked and returned ([RFC 4178] 5). The SMB layer passes each security
 * buffer to step() and sends back outToken (STATUS_MORE_PROCESSING_REQUIRED until done).
 * Raw NTLMSSP (no SPNEGO) is accepted too and answered raw.
 */
export class ServerAuthExchange {
  private readonly ntlm: NtlmServer;
  private state: ExchangeState = 'initial';
  private raw = false;
  private mechTypesDer?: Buffer;
  /** NTLMSSP was not the client's first choice, so the MIC exchange is mandatory, [RFC 4178] 5. */
  private micRequired = false;

  constructor(opts: NtlmServerOptions) {
    this.ntlm = new NtlmServer(opts);
  }

  step(securityBuffer: Buffer): AuthStep {
    try {
      const token = spnegoParse(securityBuffer);
      if (this.state === 'initial') return this.first(token);
      if (token.kind !== (this.raw ? 'raw' : 'resp')) throw new AuthError(`unexpected ${token.kind} token mid-exchange`, Status.INVALID_PARAMETER);
      if (this.state === 'mech-selected') return this.challenge(requireToken(token), false);
      if (this.state === 'challenged') return this.authenticate(token);
      throw new AuthError('authentication exchange already complete', Status.INVALID_PARAMETER);
    } catch (e) {
      // A failed exchange is over: SMB starts a new one, and a wrong guess is never retried here.
      this.state = 'done';
      if (e instanceof DecodeError) throw new AuthError(`malformed security buffer: ${e.message}`, Status.INVALID_PARAMETER);
      throw e;
    }
  }

  private first(token: SpnegoIn): AuthStep {
    if (token.kind === 'raw') {
      this.raw = true;
      return this.challenge(token.mechToken!, true);
    }
    if (token.kind !== 'init') throw new AuthError('SPNEGO exchange must start with NegTokenInit', Status.INVALID_PARAMETER);
    const mechs = token.mechTypes ?? [];
    const ntlmIndex = mechs.findIndex((m) => m.equals(NTLMSSP_OID));
    if (ntlmIndex < 0) throw new AuthError('client offers no NTLMSSP', Status.NOT_SUPPORTED);
    this.mechTypesDer = token.mechTypesDer;
    this.micRequired = ntlmIndex > 0;
    // An optimistic token belongs to the client's first mech; only an NTLMSSP one is usable.
    if (ntlmIndex === 0 && token.mechToken && isNtlmssp(token.mechToken)) return this.challenge(token.mechToken, true);
    this.state = 'mech-selected';
    return { done: false, outToken: spnegoResponse(this.micRequired ? 'request-mic' : 'accept-incomplete', undefined, undefined, true) };
  }

  private challenge(negotiate: Buffer, firstReply: boolean): AuthStep {
    const challenge = this.ntlm.challenge(negotiate);
    this.state = 'challenged';
    if (this.raw) return { done: false, outToken: challenge };
    const state: NegStateName = firstReply && this.micRequired ? 'request-mic' : 'accept-incomplete';
    return { done: false, outToken: spnegoResponse(state, challenge, undefined, firstReply) };
  }

  private authenticate(token: SpnegoIn): AuthStep {
    const result = this.ntlm.authenticate(requireToken(token));
    this.state = 'done';
    if (this.raw) return { done: true, outToken: Buffer.alloc(0), result };
    const serverMic = this.checkMechListMic(result, token.mechListMic);
    return { done: true, outToken: spnegoResponse('accept-completed', undefined, serverMic), result };
  }

  /**
   * Verifies the client's mechListMIC over the DER mechTypes and signs the same bytes back,
   * both with sequence number 0, [MS-SPNG] 3.3.5.1 and [MS-NLMP] 3.4.4.2. Anonymous and guest
   * sessions have no session key, so no MIC can be checked or made for them.
   */
  private checkMechListMic(result: AuthResult, clientMic: Buffer | undefined): Buffer | undefined {
    if (result.sessionKey.length === 0) return undefined;
    if (!clientMic) {
      if (this.micRequired) throw new AuthError('mechListMIC required but missing', Status.ACCESS_DENIED);
      return undefined;
    }
    const key = this.ntlm.exportedSessionKey;
    const flags = this.ntlm.flags;
    const inbound = NtlmSessionSecurity.forDirection(key, flags, 'client-to-server');
    if (!inbound.verify(0, this.mechTypesDer!, clientMic)) throw new AuthError('client mechListMIC does not verify', Status.ACCESS_DENIED);
    return NtlmSessionSecurity.forDirection(key, flags, 'server-to-client').sign(0, this.mechTypesDer!);
  }
}

function requireToken(token: SpnegoIn): Buffer {
  if (!token.mechToken || !isNtlmssp(token.mechToken)) throw new AuthError('expected an NTLMSSP token', Status.INVALID_PARAMETER);
  return token.mechToken;
}
