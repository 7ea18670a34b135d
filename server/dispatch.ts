import { DecodeError } from '../wire/index.js';
import { Command, HeaderFlag, HEADER_SIZE, RequestStructureSize, commandName } from '../smb2/constants.js';
import { Status, SmbStatusError, isError, statusFromErrno, statusName } from '../smb2/status.js';
import { verify } from '../auth/signing.js';
import type { HandlerResult, HandlerSpec, RequestContext } from './handler.js';
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

async function callHandler(spec: HandlerSpec, ctx: RequestContext): Promise<HandlerResult> {
  try {
    return await spec.handler(ctx);
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

/** Validate, look up session and tree, then run the command's handler. Never throws. */
export async function runRequest(ctx: RequestContext): Promise<{ result: HandlerResult; session?: Session }> {
  inheritFromChain(ctx);
  const spec = handlers[ctx.header.command as Command];
  if (!spec) return { result: { status: Status.INVALID_PARAMETER } };
  let session: Session | undefined;
  if (spec.session) {
    const found = lookupSession(ctx);
    if (typeof found === 'number') return { result: { status: found } };
    session = found;
    ctx.session = session;
    ctx.chain.sessionId = session.id;
  } else if (ctx.header.sessionId !== 0n && ctx.header.command === Command.ECHO) {
    const found = lookupSession(ctx);
    if (typeof found !== 'number') session = found; // signs the answer when the session signs
  }
  if (spec.tree && session) {
    const tree = session.trees.get(ctx.header.treeId);
    if (!tree) return { result: { status: Status.NETWORK_NAME_DELETED }, session };
    ctx.tree = tree;
    ctx.chain.treeId = tree.id;
  }
  const sizeStatus = checkStructureSize(ctx.header.command, ctx.message);
  if (sizeStatus !== Status.SUCCESS) {
    ctx.core.telemetry.protocolError('structure-size');
    return { result: { status: sizeStatus }, session };
  }
  ctx.reader.seek(HEADER_SIZE);
  const result = await callHandler(spec, ctx);
  if (ctx.header.command === Command.CREATE && isError(result.status)) {
    ctx.chain.fileId = undefined;
    ctx.chain.failure = result.status;
  }
  return { result, session };
}
