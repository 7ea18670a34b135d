import { Dialect, SecurityMode, SessionFlag, SessionSetupFlag } from '../../smb2/constants.js';
import { decodeSessionSetupRequest, encodeSessionSetupResponse } from '../../smb2/commands/session-setup.js';
import { Status } from '../../smb2/status.js';
import { signingKey } from '../../auth/signing.js';
import type { HandlerResult, RequestContext } from '../handler.js';
import type { Session } from '../state.js';
import type { AuthResult } from '../../auth/ntlm-server.js';
import { endPreviousSession, endSession } from '../durable/disconnect.js';

function newSession(ctx: RequestContext): Session {
  return {
    id: ctx.core.allocateSessionId(),
    state: 'in-progress',
    user: '',
    domain: '',
    guest: false,
    anonymous: false,
    signingRequired: false,
    trees: new Map(),
    nextTreeId: 1,
  };
}

function findOrCreate(ctx: RequestContext): Session | number {
  const conn = ctx.conn;
  if (ctx.header.sessionId === 0n) {
    if (conn.sessions.size >= ctx.core.options.limits.maxSessionsPerConnection) return Status.REQUEST_NOT_ACCEPTED;
    const session = newSession(ctx);
    conn.sessions.set(session.id, session);
    return session;
  }
  return conn.sessions.get(ctx.header.sessionId) ?? Status.USER_SESSION_DELETED;
}

function establish(ctx: RequestContext, session: Session, result: AuthResult, clientSecurityMode: number): void {
  const conn = ctx.conn;
  session.user = result.user;
  session.domain = result.domain;
  session.guest = result.guest;
  session.anonymous = result.anonymous;
  session.auth = undefined;
  // A re-authentication keeps the keys of the session, [MS-SMB2] 3.3.5.5.3.
  if (!session.signingKey && !result.anonymous && !result.guest && result.sessionKey.length) {
    session.signingKey = signingKey(conn.dialect, result.sessionKey, session.preauth?.value);
    const clientRequires =
      ((clientSecurityMode | (conn.negotiated?.clientSecurityMode ?? 0)) & SecurityMode.SIGNING_REQUIRED) !== 0;
    session.signingRequired = ctx.core.options.signing === 'mandatory' || clientRequires;
  }
  if (session.state !== 'valid') ctx.core.telemetry.sessionOpened();
  session.state = 'valid';
  ctx.log.info({ session: session.id.toString(16), user: result.user, guest: result.guest, anonymous: result.anonymous, signing: session.signingRequired }, 'session established');
}

/** SESSION_SETUP, [MS-SMB2] 3.3.5.5: SPNEGO/NTLMSSP through auth/, signing key from the session key. */
export async function sessionSetup(ctx: RequestContext): Promise<HandlerResult> {
  const req = decodeSessionSetupRequest(ctx.reader);
  if (req.flags & SessionSetupFlag.BINDING) return { status: Status.REQUEST_NOT_ACCEPTED };
  const found = findOrCreate(ctx);
  if (typeof found === 'number') return { status: found };
  const session = found;
  if (!session.auth) {
    session.auth = ctx.core.createAuthExchange();
    session.preauth = ctx.conn.preauth?.clone();
  }
  session.preauth?.update(ctx.message);
  let step;
  try {
    step = session.auth.step(req.securityBuffer);
  } catch (err) {
    session.auth = undefined;
    if (session.state !== 'valid') ctx.conn.sessions.delete(session.id);
    // A failed re-authentication ends the session, as on Windows and Samba (smbtorture smb2.notify.invalid-reauth).
    else await endSession(ctx.core, ctx.conn, session);
    ctx.core.telemetry.protocolError('auth');
    ctx.log.info({ why: (err as Error).message }, 'authentication failed');
    const status = (err as { status?: unknown }).status;
    return { status: typeof status === 'number' ? status : Status.LOGON_FAILURE };
  }
  if (!step.done) {
    return {
      status: Status.MORE_PROCESSING_REQUIRED,
      body: encodeSessionSetupResponse({ sessionFlags: 0, securityBuffer: step.outToken }),
      reply: { session, onEncoded: (m) => void session.preauth?.update(m) },
    };
  }
  establish(ctx, session, step.result, req.securityMode);
  await endPreviousSession(ctx.core, req.previousSessionId, session); // [MS-SMB2] 3.3.5.5.3
  const sessionFlags = session.guest ? SessionFlag.IS_GUEST : session.anonymous ? SessionFlag.IS_NULL : 0;
  return {
    status: Status.SUCCESS,
    body: encodeSessionSetupResponse({ sessionFlags, securityBuffer: step.outToken }),
    reply: { session, sign: ctx.conn.dialect === Dialect.SMB3_1_1 || session.signingRequired ? 'always' : undefined },
  };
}
