import type { Reader } from '../wire/index.js';
import type { Smb2Header } from '../smb2/header.js';
import type { FillTarget, ReadPayload } from './file-io.js';
import type { Logger } from './log.js';
import type { ConnectionState, Session, TreeConnect, Open } from './state.js';
import type { FileId } from '../smb2/commands/create.js';
import type { ServerCore } from './server-core.js';
import type { MessagePayloads } from './message-payloads.js';
import type { MessagePieces } from './message-pieces.js';
import type { IncomingWrite } from './incoming-write.js';
import type { BufferDescriptor } from '../smb2/commands/buffer-desc.js';

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
  /**
   * The whole message as the pieces it arrived in, when it was left so (a lone unsigned WRITE in
   * a large direct-TCP frame, message-pieces.ts); `message` is then only its first bytes.
   */
  pieces?: MessagePieces;
  /** A lone WRITE handed over while its data is still arriving (incoming-write.ts); `message` is then its header and fixed part. */
  incoming?: IncomingWrite;
  session?: Session;
  tree?: TreeConnect;
  chain: ChainState;
  /** Owner of this message's READ payloads: admits them against the READ budgets and releases them. */
  payloads: MessagePayloads;
  /** The client's registered buffers over SMB Direct (absent on TCP), [MS-SMB2] 3.3.5.12 and 3.3.5.13. */
  remote: RemoteBuffers;
  /** Aborted when a CANCEL names this request while it is pending, [MS-SMB2] 3.3.5.16. */
  cancelled: AbortSignal;
  /**
   * Whether the request may go async (GoAsync): false when the connection already holds as many
   * async requests as it may (async-requests.ts). A request that would wait is then answered at
   * once (a blocking LOCK gets LOCK_NOT_GRANTED); one that goes async anyway is cancelled.
   */
  mayGoAsync: boolean;
  log: Logger;
  /** The opens this request found (findOpen), released when it is final (dispatch.ts). */
  usedOpens?: Open[];
}

/** RDMA transfers with the client's buffers; each is absent when the transport cannot do it. */
export interface RemoteBuffers {
  /** RDMA WRITE a READ's data (the send stage counts it; the payload owner still releases it). */
  write?(payload: ReadPayload, descriptors: BufferDescriptor[]): Promise<number>;
  /** RDMA READ a WRITE's data. */
  read?(descriptors: BufferDescriptor[], length: number): Promise<Buffer>;
  /** RDMA READ a WRITE's data into the memory it will live in (Transport.rdmaReadInto). */
  readInto?(descriptors: BufferDescriptor[], targets: FillTarget[]): Promise<number>;
}

/** What a handler answers: a status, the body its codec encoded, READ data, and header options. */
export interface HandlerResult {
  status: number;
  /** Body after the header; absent means an ERROR response body without ErrorData, [MS-SMB2] 2.2.2. */
  body?: Buffer;
  /** READ data, sent after the body without copying; the send stage counts it, ctx.payloads releases it. */
  payload?: ReadPayload;
  /** How the response header and the connection differ from the defaults. */
  reply?: ReplyOptions;
}

export interface ReplyOptions {
  /**
   * The session a SESSION_SETUP response is for: the header carries its id, it signs the
   * response, and once it is valid the connection counts as authenticated. Default: the request's.
   */
  session?: Session;
  /** Sign even if the request was not signed (final SESSION_SETUP, VALIDATE_NEGOTIATE_INFO). */
  sign?: 'always';
  /** TreeId for the response header (TREE_CONNECT). */
  treeId?: number;
  /** Sees the unsigned response message (preauth integrity hash). */
  onEncoded?: (response: Buffer) => void;
  /** Memory token the transport invalidates remotely when it sends this response (RDMA_V1_INVALIDATE). */
  invalidateToken?: number;
  /** Close the connection after sending (e.g. VALIDATE_NEGOTIATE_INFO mismatch). */
  disconnect?: boolean;
}

/**
 * A request that completes later, [MS-SMB2] 3.3.4.2: the client gets an interim
 * STATUS_PENDING response with an AsyncId now, and `final`'s result on the same MessageId
 * when it settles. A CANCEL aborts ctx.cancelled; `final` should then settle with
 * STATUS_CANCELLED.
 */
export interface GoAsync {
  final: Promise<HandlerResult>;
}

export function goesAsync(r: HandlerResult | GoAsync): r is GoAsync {
  return 'final' in r;
}

/** A request whose SessionId named a valid session (signature checked), [MS-SMB2] 3.3.5.2.9. */
export interface SessionContext extends RequestContext {
  session: Session;
}

/** A request whose TreeId named a tree connect of its session, [MS-SMB2] 3.3.5.2.11. */
export interface TreeContext extends SessionContext {
  tree: TreeConnect;
}

export type Handler<C extends RequestContext = RequestContext> = (ctx: C) => Promise<HandlerResult | GoAsync>;

/**
 * One row of the command table: what validation must establish before the handler runs,
 * and the handler typed with exactly that context.
 * - `connection`: nothing beyond NEGOTIATE order; with `signsWithSession` a valid session
 *   named by the request (if any) still signs the response (ECHO).
 * - `session`: a valid session; `tree`: a valid session and one of its tree connects.
 *   With `opensFile`, a failure makes the related chain's FileId fail with it (CREATE,
 *   [MS-SMB2] 3.3.5.2.7.2).
 */
export type HandlerSpec =
  | { needs: 'connection'; handler: Handler; signsWithSession?: boolean }
  | { needs: 'session'; handler: Handler<SessionContext> }
  | { needs: 'tree'; handler: Handler<TreeContext>; opensFile?: boolean };

export type { Open };
