import { DecodeError } from '../wire/index.js';
import { Command, HeaderFlag, commandName } from '../smb2/constants.js';
import { Status, SmbStatusError, isError, statusFromErrno, statusName } from '../smb2/status.js';
import { goesAsync, type GoAsync, type Handler, type HandlerResult, type HandlerSpec, type RequestContext } from './handler.js';
import { releaseOpens } from './open-files.js';
import type { Session } from './state.js';
import { handlers } from './handlers/index.js';
import { lookupSession, optionalSession, validateConnectionRequest, validateSessionRequest, validateTreeRequest } from './validate.js';

/** The command table, [MS-SMB2] 3.3.5.2: a row per command; handlers/index.ts holds the server's. */
export type CommandTable = Readonly<Record<Command, HandlerSpec | undefined>>;

/** What dispatch hands on to the response stages. */
export interface Dispatched {
  result: HandlerResult | GoAsync;
  /** The request's valid session, if any: it signs the response. */
  session?: Session;
}

/** Related requests inherit SessionId/TreeId from the previous one, [MS-SMB2] 3.3.5.2.7.2. */
export function inheritFromChain(ctx: Pick<RequestContext, 'header' | 'chain'>): void {
  if (!(ctx.header.flags & HeaderFlag.RELATED_OPERATIONS)) {
    ctx.chain.fileId = undefined;
    ctx.chain.failure = undefined;
    return;
  }
  if (ctx.chain.sessionId !== undefined) ctx.header.sessionId = ctx.chain.sessionId;
  if (ctx.chain.treeId !== undefined) ctx.header.treeId = ctx.chain.treeId;
}

/** Run a handler; what it throws becomes a status (decoders and helpers throw SmbStatusError). */
async function callHandler<C extends RequestContext>(handler: Handler<C>, ctx: C | number): Promise<HandlerResult | GoAsync> {
  if (typeof ctx === 'number') return { status: ctx };
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

/** Find the table row, validate what it needs, then run its handler. Never throws. */
export async function runRequest(ctx: RequestContext, table: CommandTable = handlers): Promise<Dispatched> {
  const dispatched = await dispatch(ctx, table);
  // The opens the request found stay in use until it is final (an async one: until its final result).
  const result = dispatched.result;
  if (goesAsync(result)) result.final.then(() => releaseOpens(ctx), () => releaseOpens(ctx));
  else releaseOpens(ctx);
  return dispatched;
}

async function dispatch(ctx: RequestContext, table: CommandTable): Promise<Dispatched> {
  inheritFromChain(ctx);
  const spec = table[ctx.header.command as Command];
  if (!spec) return { result: { status: Status.INVALID_PARAMETER } };
  if (spec.needs === 'connection') {
    const session = spec.signsWithSession ? optionalSession(ctx) : undefined;
    return { result: await callHandler(spec.handler, validateConnectionRequest(ctx)), session };
  }
  const session = lookupSession(ctx);
  if (typeof session === 'number') return { result: { status: session } };
  ctx.chain.sessionId = session.id;
  if (spec.needs === 'session') return { result: await callHandler(spec.handler, validateSessionRequest(ctx, session)), session };
  const result = await callHandler(spec.handler, validateTreeRequest(ctx, session));
  if (spec.opensFile && 'status' in result && isError(result.status)) {
    ctx.chain.fileId = undefined;
    ctx.chain.failure = result.status;
  }
  return { result, session };
}
