/** SMB2 command codes, [MS-SMB2] 2.2.1.2. */
export const Command = {
  NEGOTIATE: 0x0000,
  SESSION_SETUP: 0x0001,
  LOGOFF: 0x0002,
  TREE_CONNECT: 0x0003,
  TREE_DISCONNECT: 0x0004,
  CREATE: 0x0005,
  CLOSE: 0x0006,
  FLUSH: 0x0007,
  READ: 0x0008,
  WRITE: 0x0009,
  LOCK: 0x000a,
  IOCTL: 0x000b,
  CANCEL: 0x000c,
  ECHO: 0x000d,
  QUERY_DIRECTORY: 0x000e,
  CHANGE_NOTIFY: 0x000f,
  QUERY_INFO: 0x0010,
  SET_INFO: 0x0011,
  OPLOCK_BREAK: 0x0012,
} as const;
export type Command = (typeof Command)[keyof typeof Command];

const commandNames = new Map<number, string>(Object.entries(Command).map(([k, v]) => [v, k]));
export function commandName(code: number): string {
  return commandNames.get(code) ?? `UNKNOWN_${code}`;
}

/** Request StructureSize per command, [MS-SMB2] 2.2.3 - 2.2.39 (OPLOCK_BREAK also allows 36 for a lease ack). */
export const RequestStructureSize: Record<Command, number> = {
  [Command.NEGOTIATE]: 36,
  [Command.SESSION_SETUP]: 25,
  [Command.LOGOFF]: 4,
  [Command.TREE_CONNECT]: 9,
  [Command.TREE_DISCONNECT]: 4,
  [Command.CREATE]: 57,
  [Command.CLOSE]: 24,
  [Command.FLUSH]: 24,
  [Command.READ]: 49,
  [Command.WRITE]: 49,
  [Command.LOCK]: 48,
  [Command.IOCTL]: 57,
  [Command.CANCEL]: 4,
  [Command.ECHO]: 4,
  [Command.QUERY_DIRECTORY]: 33,
  [Command.CHANGE_NOTIFY]: 32,
  [Command.QUERY_INFO]: 41,
  [Command.SET_INFO]: 33,
  [Command.OPLOCK_BREAK]: 24,
};

/** Response StructureSize per command, [MS-SMB2] 2.2.4 - 2.2.40. */
export const ResponseStructureSize = {
  ERROR: 9,
  [Command.NEGOTIATE]: 65,
  [Command.SESSION_SETUP]: 9,
  [Command.LOGOFF]: 4,
  [Command.TREE_CONNECT]: 16,
  [Command.TREE_DISCONNECT]: 4,
  [Command.CREATE]: 89,
  [Command.CLOSE]: 60,
  [Command.FLUSH]: 4,
  [Command.READ]: 17,
  [Command.WRITE]: 17,
  [Command.LOCK]: 4,
  [Command.IOCTL]: 49,
  [Command.ECHO]: 4,
  [Command.QUERY_DIRECTORY]: 9,
  [Command.CHANGE_NOTIFY]: 9,
  [Command.QUERY_INFO]: 9,
  [Command.SET_INFO]: 2,
} as const;

/** SMB2 header Flags, [MS-SMB2] 2.2.1.2. */
export const HeaderFlag = {
  SERVER_TO_REDIR: 0x00000001,
  ASYNC_COMMAND: 0x00000002,
  RELATED_OPERATIONS: 0x00000004,
  SIGNED: 0x00000008,
  PRIORITY_MASK: 0x00000070,
  DFS_OPERATIONS: 0x10000000,
  REPLAY_OPERATION: 0x20000000,
} as const;

/** Dialect revisions, [MS-SMB2] 2.2.3. 0x02FF is the wildcard answered to an SMB1 "SMB 2.???" negotiate. */
export const Dialect = {
  SMB2_0_2: 0x0202,
  SMB2_1: 0x0210,
  SMB3_0: 0x0300,
  SMB3_0_2: 0x0302,
  SMB3_1_1: 0x0311,
  SMB2_WILDCARD: 0x02ff,
} as const;
export const ALL_DIALECTS = [Dialect.SMB2_0_2, Dialect.SMB2_1, Dialect.SMB3_0, Dialect.SMB3_0_2, Dialect.SMB3_1_1] as const;

export function dialectName(d: number): string {
  switch (d) {
    case Dialect.SMB2_0_2:
      return '2.0.2';
    case Dialect.SMB2_1:
      return '2.1';
    case Dialect.SMB3_0:
      return '3.0';
    case Dialect.SMB3_0_2:
      return '3.0.2';
    case Dialect.SMB3_1_1:
      return '3.1.1';
    default:
      return 'none';
  }
}

/** NEGOTIATE SecurityMode, [MS-SMB2] 2.2.3. */
export const SecurityMode = { SIGNING_ENABLED: 0x0001, SIGNING_REQUIRED: 0x0002 } as const;

/** Global capabilities, [MS-SMB2] 2.2.3. */
export const Capability = {
  DFS: 0x00000001,
  LEASING: 0x00000002,
  LARGE_MTU: 0x00000004,
  MULTI_CHANNEL: 0x00000008,
  PERSISTENT_HANDLES: 0x00000010,
  DIRECTORY_LEASING: 0x00000020,
  ENCRYPTION: 0x00000040,
} as const;

/** Negotiate context types, [MS-SMB2] 2.2.3.1. */
export const NegotiateContextType = {
  PREAUTH_INTEGRITY_CAPABILITIES: 0x0001,
  ENCRYPTION_CAPABILITIES: 0x0002,
  COMPRESSION_CAPABILITIES: 0x0003,
  NETNAME_NEGOTIATE_CONTEXT_ID: 0x0005,
  TRANSPORT_CAPABILITIES: 0x0006,
  RDMA_TRANSFORM_CAPABILITIES: 0x0007,
  SIGNING_CAPABILITIES: 0x0008,
} as const;

/** [MS-SMB2] 2.2.3.1.1 */
export const HashAlgorithm = { SHA_512: 0x0001 } as const;
/** [MS-SMB2] 2.2.3.1.7 */
export const SigningAlgorithm = { HMAC_SHA256: 0x0000, AES_CMAC: 0x0001, AES_GMAC: 0x0002 } as const;

/** SESSION_SETUP request Flags and response SessionFlags, [MS-SMB2] 2.2.5, 2.2.6. */
export const SessionSetupFlag = { BINDING: 0x01 } as const;
export const SessionFlag = { IS_GUEST: 0x0001, IS_NULL: 0x0002, ENCRYPT_DATA: 0x0004 } as const;

/** TREE_CONNECT response fields, [MS-SMB2] 2.2.10. */
export const ShareType = { DISK: 0x01, PIPE: 0x02, PRINT: 0x03 } as const;

/** CREATE CreateDisposition, [MS-SMB2] 2.2.13. */
export const CreateDisposition = {
  SUPERSEDE: 0,
  OPEN: 1,
  CREATE: 2,
  OPEN_IF: 3,
  OVERWRITE: 4,
  OVERWRITE_IF: 5,
} as const;

/** CREATE CreateOptions, [MS-SMB2] 2.2.13. */
export const CreateOption = {
  DIRECTORY_FILE: 0x00000001,
  WRITE_THROUGH: 0x00000002,
  SEQUENTIAL_ONLY: 0x00000004,
  NON_DIRECTORY_FILE: 0x00000040,
  DELETE_ON_CLOSE: 0x00001000,
  OPEN_REPARSE_POINT: 0x00200000,
} as const;

/** CREATE response CreateAction, [MS-SMB2] 2.2.14. */
export const CreateAction = { SUPERSEDED: 0, OPENED: 1, CREATED: 2, OVERWRITTEN: 3 } as const;

/** Access mask bits, [MS-SMB2] 2.2.13.1.1 and [MS-DTYP] 2.4.3. */
export const Access = {
  FILE_READ_DATA: 0x00000001,
  FILE_WRITE_DATA: 0x00000002,
  FILE_APPEND_DATA: 0x00000004,
  FILE_READ_EA: 0x00000008,
  FILE_WRITE_EA: 0x00000010,
  FILE_EXECUTE: 0x00000020,
  FILE_DELETE_CHILD: 0x00000040,
  FILE_READ_ATTRIBUTES: 0x00000080,
  FILE_WRITE_ATTRIBUTES: 0x00000100,
  DELETE: 0x00010000,
  READ_CONTROL: 0x00020000,
  WRITE_DAC: 0x00040000,
  WRITE_OWNER: 0x00080000,
  SYNCHRONIZE: 0x00100000,
  ACCESS_SYSTEM_SECURITY: 0x01000000,
  MAXIMUM_ALLOWED: 0x02000000,
  GENERIC_ALL: 0x10000000,
  GENERIC_EXECUTE: 0x20000000,
  GENERIC_WRITE: 0x40000000,
  GENERIC_READ: 0x80000000,
} as const;
/** Everything a full-control open of a file gets ([MS-DTYP] 2.4.3 FILE_ALL_ACCESS). */
export const FILE_ALL_ACCESS = 0x001f01ff;
/** What a read-only share still grants (read, execute, attributes, EA, control, sync). */
export const FILE_READ_ONLY_ACCESS = 0x001200a9;
/** Bits that modify a file or its metadata. */
export const MODIFYING_ACCESS = 0x000d0156;

/** ShareAccess, [MS-SMB2] 2.2.13. */
export const ShareAccess = { READ: 0x1, WRITE: 0x2, DELETE: 0x4 } as const;

/** CLOSE Flags, [MS-SMB2] 2.2.15. */
export const CloseFlag = { POSTQUERY_ATTRIB: 0x0001 } as const;

/** READ/WRITE Channel, [MS-SMB2] 2.2.19, 2.2.21. */
export const Channel = { NONE: 0, RDMA_V1: 1, RDMA_V1_INVALIDATE: 2 } as const;

/** QUERY_DIRECTORY Flags, [MS-SMB2] 2.2.33. */
export const QueryDirectoryFlag = { RESTART_SCANS: 0x01, RETURN_SINGLE_ENTRY: 0x02, INDEX_SPECIFIED: 0x04, REOPEN: 0x10 } as const;

/** QUERY_INFO / SET_INFO InfoType, [MS-SMB2] 2.2.37. */
export const InfoType = { FILE: 0x01, FILESYSTEM: 0x02, SECURITY: 0x03, QUOTA: 0x04 } as const;

/** WRITE request Flags, [MS-SMB2] 2.2.21. */
export const WriteFlag = { WRITE_THROUGH: 0x00000001, WRITE_UNBUFFERED: 0x00000002 } as const;

/** LOCK element Flags, [MS-SMB2] 2.2.26.1. */
export const LockFlag = { SHARED: 0x1, EXCLUSIVE: 0x2, UNLOCK: 0x4, FAIL_IMMEDIATELY: 0x10 } as const;

/** IOCTL Flags and the FSCTLs the server knows, [MS-SMB2] 2.2.31, [MS-FSCC] 2.3. */
export const IoctlFlag = { IS_FSCTL: 0x00000001 } as const;
export const Fsctl = {
  DFS_GET_REFERRALS: 0x00060194,
  PIPE_TRANSCEIVE: 0x0011c017,
  VALIDATE_NEGOTIATE_INFO: 0x00140204,
  QUERY_NETWORK_INTERFACE_INFO: 0x001401fc,
} as const;
/** NETWORK_INTERFACE_INFO Capability, [MS-SMB2] 2.2.32.5. */
export const InterfaceCapability = { RSS_CAPABLE: 0x1, RDMA_CAPABLE: 0x2 } as const;

/** The FileId every related compound request uses to mean "the previous one", [MS-SMB2] 3.3.5.2.7.2. */
export const RELATED_FILE_ID = 0xffffffffffffffffn;

/** Size of the SMB2 header, [MS-SMB2] 2.2.1. */
export const HEADER_SIZE = 64;
