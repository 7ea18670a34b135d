import { Writer } from '../wire/index.js';
import { HeaderFlag, HEADER_SIZE } from '../smb2/constants.js';
import { encodeHeader, type Smb2Header } from '../smb2/header.js';
import { encodeErrorResponse } from '../smb2/commands/error.js';
import { Status } from '../smb2/status.js';
import type { HandlerResult } from './handler.js';
import type { ReadPayload } from './file-io.js';
import type { Session } from './state.js';
import type { ResponseParts } from './compound.js';

/** One encoded response: its parts (header+body, then READ data), and what the later stages need. */
export interface EncodedResponse extends ResponseParts {
  /** Session whose key signs it, when it must be signed (the sign stage). */
  signer?: Session;
  /** READ data among `parts`, released and counted by the send stage. */
  payload?: ReadPayload;
  invalidateToken?: number;
  disconnect: boolean;
}

/** How the header of a response differs from the request's (beyond status and credits). */
export interface ResponseHeaderOptions {
  /** Part of a compound reply: keeps SMB2_FLAGS_RELATED_OPERATIONS. */
  compound: boolean;
  /** SMB2_FLAGS_ASYNC_COMMAND with this AsyncId, [MS-SMB2] 2.2.1.1. */
  asyncId?: bigint;
}

/**
 * Whether and with which session a response is signed, [MS-SMB2] 3.3.4.1.1: when the request
 * was signed, the session requires signing, or the handler asks for it; never a
 * STATUS_MORE_PROCESSING_REQUIRED SESSION_SETUP response (no key yet on the client).
 */
function signerOf(req: Smb2Header, result: HandlerResult, session: Session | undefined): Session | undefined {
  const signer = result.reply?.session ?? session;
  if (!signer?.signingKey || result.status === Status.MORE_PROCESSING_REQUIRED) return undefined;
  const wanted = result.reply?.sign === 'always' || (req.flags & HeaderFlag.SIGNED) !== 0 || signer.signingRequired;
  return wanted ? signer : undefined;
}

/** The response header and body of a handler's result, with `credits` granted; signature left zero for the sign stage. */
export function encodeResponse(req: Smb2Header, result: HandlerResult, session: Session | undefined, credits: number, options: ResponseHeaderOptions): EncodedResponse {
  const signer = signerOf(req, result, session);
  const flags =
    HeaderFlag.SERVER_TO_REDIR |
    (options.compound ? req.flags & HeaderFlag.RELATED_OPERATIONS : 0) |
    (req.flags & HeaderFlag.PRIORITY_MASK) |
    (options.asyncId !== undefined ? HeaderFlag.ASYNC_COMMAND : 0) |
    (signer ? HeaderFlag.SIGNED : 0);
  const body = result.body ?? encodeErrorResponse();
  const w = new Writer(0, HEADER_SIZE + body.length);
  encodeHeader(w, {
    creditCharge: req.creditCharge,
    status: result.status,
    command: req.command,
    credits,
    flags,
    nextCommand: 0,
    messageId: req.messageId,
    asyncId: options.asyncId ?? req.asyncId,
    treeId: result.reply?.treeId ?? req.treeId,
    sessionId: result.reply?.session?.id ?? req.sessionId,
  });
  w.bytes(body);
  const head = w.finish();
  result.reply?.onEncoded?.(head);
  const payload = result.payload;
  return {
    parts: [head, ...(payload?.chunks ?? [])],
    length: head.length + (payload?.length ?? 0),
    signer,
    payload,
    invalidateToken: result.reply?.invalidateToken,
    disconnect: result.reply?.disconnect ?? false,
  };
}
