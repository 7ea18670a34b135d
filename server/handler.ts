import type { Reader } from '../wire/index.js';
import type { Smb2Header } from '../smb2/header.js';
import type { ReadPayload } from './file-io.js';
import type { Logger } from './log.js';
import type { Session, TreeConnect, Open } from './state.js';
import type { FileId } from '../smb2/commands/create.js';
import type { Connection } from './connection.js';
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
  conn: Connection;
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

export type Handler = (ctx: RequestContext) => Promise<HandlerResult>;

export interface HandlerSpec {
  handler: Handler;
  /** Needs a valid session (SessionId looked up and signature checked). */
  session: boolean;
  /** Needs a tree connect (TreeId looked up). */
  tree: boolean;
}

export function fail(status: number): HandlerResult {
  return { status };
}

export type { Open };
