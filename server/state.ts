import type { ShareConfig } from './options.js';
import type { FileIo } from './file-io.js';
import type { FileId } from '../smb2/commands/create.js';
import type { OpenLocks } from './lock-table.js';
import type { ShareRoot } from './share-root.js';
import type { PreauthHash } from '../auth/preauth.js';
import type { AuthResult } from '../auth/ntlm-server.js';
import type { Transport } from './transport.js';
import type { CreditWindow } from './credits.js';
import type { DirectoryCursor } from './directory-cursor.js';
import type { DirectoryWatch } from './notify/directory-watch.js';
import type { OpenOplock } from './oplocks/types.js';
import type { DurableHandle } from './durable/types.js';

/** What a SESSION_SETUP exchange object does, as auth/server-session-auth.ts provides it. */
export interface AuthExchange {
  step(securityBuffer: Buffer):
    | { done: false; outToken: Buffer }
    | { done: true; outToken: Buffer; result: AuthResult };
}

/** What NEGOTIATE settled, [MS-SMB2] 3.3.1.7 Connection. */
export interface Negotiated {
  dialect: number;
  clientGuid: Buffer;
  clientCapabilities: number;
  clientSecurityMode: number;
  clientDialects: number[];
  serverSecurityMode: number;
  serverCapabilities: number;
}

/**
 * The connection as handlers and server-wide state see it, [MS-SMB2] 3.3.1.7 Connection:
 * its negotiated state, sessions, opens and transport. `Connection` implements it; nothing
 * outside connection.ts needs the class.
 */
export interface ConnectionState {
  readonly id: number;
  readonly transport: Transport;
  readonly credits: CreditWindow;
  readonly sessions: Map<bigint, Session>;
  readonly opens: Map<bigint, Open>;
  negotiated?: Negotiated;
  /** Connection.PreauthIntegrityHashValue for 3.1.1. */
  preauth?: PreauthHash;
  /** The negotiated dialect, 0 before NEGOTIATE. */
  readonly dialect: number;
  readonly dialectName: string;
  allocateFileId(): bigint;
}

/** [MS-SMB2] 3.3.1.8 Session. */
export interface Session {
  id: bigint;
  state: 'in-progress' | 'valid';
  auth?: AuthExchange;
  user: string;
  domain: string;
  guest: boolean;
  anonymous: boolean;
  signingKey?: Buffer;
  signingRequired: boolean;
  preauth?: PreauthHash;
  trees: Map<number, TreeConnect>;
  nextTreeId: number;
}

/** [MS-SMB2] 3.3.1.9 TreeConnect; `share` is null for IPC$. */
export interface TreeConnect {
  id: number;
  share: ShareConfig | null;
  root: ShareRoot | null;
  readOnly: boolean;
  maximalAccess: number;
}

export type { DirectoryCursor } from './directory-cursor.js';

/** [MS-SMB2] 3.3.1.10 Open. */
export interface Open {
  fileId: FileId;
  session: Session;
  tree: TreeConnect;
  /** Share-relative path with '/' separators ('' is the root): a name for replies and renames, never opened by. */
  relative: string;
  /** The open file's own descriptor (pipes have none): every operation on the handle goes through it. */
  fd?: number;
  /** True when that descriptor was opened without write access (O_RDONLY or O_PATH): closing it never flushes. */
  readOnlyFd?: boolean;
  /** File identity (device:inode): survives renames; keys share modes and byte-range locks. */
  fileKey: string;
  isDirectory: boolean;
  grantedAccess: number;
  shareAccess: number;
  createOptions: number;
  io?: FileIo;
  /** Its file's byte-range locks and its Open.LockSequenceArray, set on first LOCK, READ or WRITE (lock-table.ts). */
  byteRangeLocks?: OpenLocks;
  deleteOnClose: boolean;
  position: number;
  cursor?: DirectoryCursor;
  /** Requests using the open now (open-files.ts findOpen): its descriptor closes after the last of them. */
  users?: number;
  /** The descriptor's close, when the open closed while requests still used it. */
  afterUse?: () => void;
  /** Drops this open's share-mode entry (on close). */
  releaseShareMode?: () => void;
  /** Its change notification, from its first CHANGE_NOTIFY on (server/notify/). */
  notify?: DirectoryWatch;
  /** Open.OplockLevel, OplockState and Lease (server/oplocks/); absent for directories and pipes. */
  oplock?: OpenOplock;
  /**
   * Durable-handle state (server/durable/): present when the open is durable, so Open.IsDurable
   * ([MS-SMB2] 3.3.1.10) is `durable !== undefined`; `durable.disconnected` while it waits for a reconnect.
   */
  durable?: DurableHandle;
  /** AllocationSize the CREATE asked for (AlSi): CREATE responses report at least this much allocated. */
  initialAllocation?: number;
}
