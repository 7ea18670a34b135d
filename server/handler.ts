import type { Reader } from '../wire/index.js';
import type { Smb2Header } from '../smb2/header.js';
import type { ReadPayload } from './file-io.js';
import type { Logger } from './log.js';
import type { ConnectionState, Session, TreeConnect, Open } from './state.js';
import type { FileId } from '../smb2/commands/create.js';
import type { ServerCore } from './server-core.js';
import type { MessagePayloads } from './message-payloads.js';

/** What a related compound chain carries from one request to the next, [MS-SMB2] 3.3.5.2.7.2. */
export interface ChainState {
  sessionId?: bigint;
  treeId?: number;
  fileId?: FileId;
  /** Status of the last failed request that would have produced a FileId. */
  failure?: number;
}

export interface RequestContext {
  core: ServerCore;
  conn: ConnectionState;
  header: Smb2Header;
  /** This PDU only (one element of a compound), header included. */
  message: Buffer;
  /** Reader over `message`, positioned at the body (offset 64). */
  reader: Reader;
  session?: Session;
  tree?: TreeConnect;
  chain: ChainState;
  /** Owner of this message's READ payloads: admits them against the READ budgets and releases them. */
  payloads: MessagePayloads;
  log: Logger;
}

export interface HandlerResult {
  status: number;
  /** Body after the header; absent means an ERROR response body. */
  body?: Buffer;
  /** ErrorData of an ERROR response (e.g. the needed size for BUFFER_TOO_SMALL), [MS-SMB2] 2.2.2. */
  errorData?: Buffer;
  /** READ data, sent after the body without copying; ctx.payloads releases it after the send. */
  payload?: ReadPayload;
  /** Sign even if the request was not signed (final SESSION_SETUP, VALIDATE_NEGOTIATE_INFO). */
  forceSign?: boolean;
  /** Session that signs this response when ctx.session is not set yet (SESSION_SETUP). */
  signingSession?: Session;
  /** Sees the unsigned response message (preauth integrity hash). */
  onEncoded?: (response: Buffer) => void;
  /** Memory token the transport invalidates remotely when it sends this response (RDMA_V1_INVALIDATE). */
  invalidateToken?: number;
  /** TreeId for the response header (TREE_CONNECT). */
  treeId?: number;
  /** Close the connection after sending (e.g. VALIDATE_NEGOTIATE_INFO mismatch). */
  disconnect?: boolean;
}

/** A request whose SessionId named a valid session (signature checked), [MS-SMB2] 3.3.5.2.9. */
export interface SessionContext extends RequestContext {
  session: Session;
}

/** A request whose TreeId named a tree connect of its session, [MS-SMB2] 3.3.5.2.11. */
export interface TreeContext extends SessionContext {
  tree: TreeConnect;
}

export type Handler<C extends RequestContext = RequestContext> = (ctx: C) => Promise<HandlerResult>;

/**
 * One row of the command table: what validation must establish before the handler runs,
 * and the handler typed with exactly that context.
 * - `connection`: nothing beyond NEGOTIATE order; with `signsWithSession` a valid session
 *   named by the request (if any) still signs the response (ECHO).
 * - `session`: a valid session; `tree`: a valid session and one of its tree connects.
 */
export type HandlerSpec =
  | { needs: 'connection'; handler: Handler; signsWithSession?: boolean }
  | { needs: 'session'; handler: Handler<SessionContext> }
  | { needs: 'tree'; handler: Handler<TreeContext> };

export type { Open };
