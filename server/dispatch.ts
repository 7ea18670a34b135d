import { DecodeError } from '../wire/index.js';
import { Command, HeaderFlag, HEADER_SIZE, RequestStructureSize, commandName } from '../smb2/constants.js';
import { Status, SmbStatusError, isError, statusFromErrno, statusName } from '../smb2/status.js';
import { verify } from '../auth/signing.js';
import type { Handler, HandlerResult, HandlerSpec, RequestContext, SessionContext, TreeContext } from './handler.js';
import type { Session } from './state.js';
import { handlers } from './handlers/index.js';

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

/** Related requests inherit SessionId/TreeId from the previous one, [MS-SMB2] 3.3.5.2.7.2. */
function inheritFromChain(ctx: RequestContext): void {
  if (!(ctx.header.flags & HeaderFlag.RELATED_OPERATIONS)) {
    ctx.chain.fileId = undefined;
    ctx.chain.failure = undefined;
    return;
  }
  if (ctx.chain.sessionId !== undefined) ctx.header.sessionId = ctx.chain.sessionId;
  if (ctx.chain.treeId !== undefined) ctx.header.treeId = ctx.chain.treeId;
}

function lookupSession(ctx: RequestContext): Session | number {
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

async function callHandler<C extends RequestContext>(handler: Handler<C>, ctx: C): Promise<HandlerResult> {
  try {
    return await handler(ctx);
  } catch (err) {
    if (err instanceof DecodeError || err instanceof SmbStatusError) {
      if (err instanceof DecodeError) ctx.core.telemetry.protocolError('decode');
      ctx.log.debug({ command: commandName(ctx.header.command), status: statusName(err.status), why: err.message }, 'request failed');
      return { status: err.status };
    }
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number') return { status };
    const errno = (err as NodeJS.ErrnoException).code;
    if (typeof errno === 'string' && errno.startsWith('E')) {
      ctx.log.debug({ command: commandName(ctx.header.command), errno }, 'file system error');
      return { status: statusFromErrno(errno) };
    }
    ctx.log.error({ err, command: commandName(ctx.header.command) }, 'handler failed');
    return { status: Status.INTERNAL_ERROR };
  }
}

function checkedSize(ctx: RequestContext): number {
  const sizeStatus = checkStructureSize(ctx.header.command, ctx.message);
  if (sizeStatus !== Status.SUCCESS) ctx.core.telemetry.protocolError('structure-size');
  else ctx.reader.seek(HEADER_SIZE);
  return sizeStatus;
}

/** Run the handler with the context its table row asks for; the size check runs after the session/tree lookup, as before. */
async function runSpec(spec: HandlerSpec, ctx: RequestContext, session: Session | undefined): Promise<HandlerResult> {
  if (spec.needs === 'connection') {
    const status = checkedSize(ctx);
    return status === Status.SUCCESS ? callHandler(spec.handler, ctx) : { status };
  }
  if (!session) return { status: Status.USER_SESSION_DELETED };
  const inSession: SessionContext = { ...ctx, session };
  if (spec.needs === 'session') {
    const status = checkedSize(inSession);
    return status === Status.SUCCESS ? callHandler(spec.handler, inSession) : { status };
  }
  const tree = session.trees.get(ctx.header.treeId);
  if (!tree) return { status: Status.NETWORK_NAME_DELETED };
  ctx.chain.treeId = tree.id;
  const inTree: TreeContext = { ...inSession, tree };
  const status = checkedSize(inTree);
  return status === Status.SUCCESS ? callHandler(spec.handler, inTree) : { status };
}

/** Validate, look up session and tree, then run the command's handler. Never throws. */
export async function runRequest(ctx: RequestContext): Promise<{ result: HandlerResult; session?: Session }> {
  inheritFromChain(ctx);
  const spec = handlers[ctx.header.command as Command];
  if (!spec) return { result: { status: Status.INVALID_PARAMETER } };
  let session: Session | undefined;
  if (spec.needs !== 'connection') {
    const found = lookupSession(ctx);
    if (typeof found === 'number') return { result: { status: found } };
    session = found;
    ctx.chain.sessionId = session.id;
  } else if (spec.signsWithSession && ctx.header.sessionId !== 0n) {
    const found = lookupSession(ctx);
    if (typeof found !== 'number') session = found; // signs the answer when the session signs
  }
  const result = await runSpec(spec, ctx, session);
  if (ctx.header.command === Command.CREATE && isError(result.status)) {
    ctx.chain.fileId = undefined;
    ctx.chain.failure = result.status;
  }
  return { result, session };
}
