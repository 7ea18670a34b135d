import { Reader } from '../wire/index.js';
import { Command, Dialect, HeaderFlag, HEADER_SIZE, RequestStructureSize, commandName } from '../smb2/constants.js';
import { decodeHeader, type Smb2Header } from '../smb2/header.js';
import { Status } from '../smb2/status.js';
import { verify } from '../auth/signing.js';
import type { RequestContext, SessionContext, TreeContext } from './handler.js';
import type { ConnectionState, Session } from './state.js';

/** A protocol error after which the connection is closed: `kind` for the metrics, `why` for the log. */
export interface Drop {
  drop: string;
  why: string;
}

/** One element of a compound whose header passed the connection-level checks. */
export interface AdmittedPdu {
  header: Smb2Header;
  /** Positioned after the header. */
  reader: Reader;
}

/**
 * Connection-level checks of one request header, [MS-SMB2] 3.3.5.2: it decodes, it is a
 * request, NEGOTIATE comes first, and its MessageIds are inside the credit window (3.3.5.2.3;
 * CANCEL consumes none). Failing any of them closes the connection.
 */
export function admitHeader(conn: ConnectionState, pdu: Buffer): AdmittedPdu | Drop {
  const reader = new Reader(pdu);
  let header: Smb2Header;
  try {
    header = decodeHeader(reader);
  } catch (err) {
    return { drop: 'decode', why: (err as Error).message };
  }
  if (header.flags & HeaderFlag.SERVER_TO_REDIR) return { drop: 'decode', why: 'response sent to the server' };
  if (header.command === Command.CANCEL) return { header, reader };
  if (!conn.negotiated && header.command !== Command.NEGOTIATE) return { drop: 'sequence', why: `${commandName(header.command)} before NEGOTIATE` };
  const charge = conn.negotiated && conn.dialect > Dialect.SMB2_0_2 ? header.creditCharge : 1;
  if (!conn.credits.consume(header.messageId, charge)) {
    return { drop: 'credits', why: `message id ${header.messageId} (charge ${header.creditCharge}) outside the credit window` };
  }
  return { header, reader };
}

/**
 * Why a CANCEL may not cancel the request it names (a reason for the log), or undefined when it
 * may, [MS-SMB2] 3.3.5.16. Either way nothing is sent back. A signed CANCEL needs a valid
 * session (3.3.5.2.9) and a good signature (3.3.5.2.4). Beyond the spec's lookup, which is per
 * connection: its SessionId must be the target's (the client sets it so, 3.2.4.24), so on a
 * connection shared by several users one cannot cancel another's requests; and it must be
 * signed when that session requires signing (the client then signs it, 3.2.4.24), so an
 * injected unsigned CANCEL cannot cancel a signed session's request.
 */
export function refuseCancel(conn: ConnectionState, cancel: Smb2Header, pdu: Buffer, target: Smb2Header): 'structure-size' | 'session' | 'signature' | undefined {
  if (checkStructureSize(Command.CANCEL, pdu) !== Status.SUCCESS) return 'structure-size';
  if (cancel.sessionId !== target.sessionId) return 'session';
  const session = conn.sessions.get(cancel.sessionId);
  if (cancel.flags & HeaderFlag.SIGNED) {
    if (!session || session.state !== 'valid' || !session.signingKey) return 'session';
    if (!verify(conn.dialect, session.signingKey, pdu)) return 'signature';
  } else if (session?.signingRequired) return 'signature';
  return undefined;
}

export function isDrop(x: unknown): x is Drop {
  return typeof x === 'object' && x !== null && 'drop' in x;
}

/** Check StructureSize and minimum body length before any handler runs, [MS-SMB2] 3.3.5.2.6. */
export function checkStructureSize(command: number, message: Buffer): number {
  const expected = RequestStructureSize[command as Command];
  if (expected === undefined) return Status.INVALID_PARAMETER;
  if (message.length < HEADER_SIZE + 2) return Status.INVALID_PARAMETER;
  const size = message.readUInt16LE(HEADER_SIZE);
  const ok = size === expected || (command === Command.OPLOCK_BREAK && size === 36);
  if (!ok) return Status.INVALID_PARAMETER;
  if (message.length < HEADER_SIZE + (size & ~1)) return Status.INVALID_PARAMETER;
  return Status.SUCCESS;
}

/** The request's session, valid and with its signature checked, [MS-SMB2] 3.3.5.2.4 and 3.3.5.2.9. */
export function lookupSession(ctx: RequestContext): Session | number {
  const session = ctx.conn.sessions.get(ctx.header.sessionId);
  if (!session) return Status.USER_SESSION_DELETED;
  if (session.state !== 'valid') return Status.USER_SESSION_DELETED;
  const signed = (ctx.header.flags & HeaderFlag.SIGNED) !== 0;
  if (session.signingKey && signed) {
    if (!verify(ctx.conn.dialect, session.signingKey, ctx.message)) {
      ctx.core.telemetry.protocolError('signature');
      return Status.ACCESS_DENIED;
    }
  } else if (session.signingRequired && !signed) {
    ctx.core.telemetry.protocolError('signature');
    return Status.ACCESS_DENIED;
  }
  return session;
}

/** The session that signs the response of a request whose table row needs none (ECHO), if any. */
export function optionalSession(ctx: RequestContext): Session | undefined {
  if (ctx.header.sessionId === 0n) return undefined;
  const found = lookupSession(ctx);
  return typeof found === 'number' ? undefined : found;
}

/** The size check, [MS-SMB2] 3.3.5.2.6: the request's context, positioned at the body, or a status. */
function sized<C extends RequestContext>(ctx: C): C | number {
  const status = checkStructureSize(ctx.header.command, ctx.message);
  if (status !== Status.SUCCESS) {
    ctx.core.telemetry.protocolError('structure-size');
    return status;
  }
  ctx.reader.seek(HEADER_SIZE);
  return ctx;
}

/*
 * The request-level checks, in the order [MS-SMB2] 3.3.5.2 gives them: session (3.3.5.2.9,
 * found by the caller with lookupSession), tree connect (3.3.5.2.11), then StructureSize and
 * body length (3.3.5.2.6). Each returns the context its handler is typed with, or a status.
 */

export function validateConnectionRequest(ctx: RequestContext): RequestContext | number {
  return sized(ctx);
}

export function validateSessionRequest(ctx: RequestContext, session: Session): SessionContext | number {
  return sized(Object.assign(ctx, { session }));
}

/** The related chain learns the tree a request used, [MS-SMB2] 3.3.5.2.7.2. */
export function validateTreeRequest(ctx: RequestContext, session: Session): TreeContext | number {
  const tree = session.trees.get(ctx.header.treeId);
  if (!tree) return Status.NETWORK_NAME_DELETED;
  ctx.chain.treeId = tree.id;
  return sized(Object.assign(ctx, { session, tree }));
}
