/**
 * The one NTSTATUS catalogue of the SMB core, [MS-ERREF] 2.3.1.
 * Everything the server answers and the client interprets comes from here.
 */
export const Status = {
  SUCCESS: 0x00000000,
  PENDING: 0x00000103,
  NOTIFY_CLEANUP: 0x0000010b,
  NOTIFY_ENUM_DIR: 0x0000010c,
  BUFFER_OVERFLOW: 0x80000005,
  NO_MORE_FILES: 0x80000006,
  UNSUCCESSFUL: 0xc0000001,
  NOT_IMPLEMENTED: 0xc0000002,
  INVALID_INFO_CLASS: 0xc0000003,
  INFO_LENGTH_MISMATCH: 0xc0000004,
  INVALID_HANDLE: 0xc0000008,
  INVALID_PARAMETER: 0xc000000d,
  NO_SUCH_FILE: 0xc000000f,
  INVALID_DEVICE_REQUEST: 0xc0000010,
  END_OF_FILE: 0xc0000011,
  MORE_PROCESSING_REQUIRED: 0xc0000016,
  NO_MEMORY: 0xc0000017,
  ACCESS_DENIED: 0xc0000022,
  BUFFER_TOO_SMALL: 0xc0000023,
  OBJECT_NAME_INVALID: 0xc0000033,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_INVALID: 0xc0000039,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  OBJECT_PATH_SYNTAX_BAD: 0xc000003b,
  SHARING_VIOLATION: 0xc0000043,
  EAS_NOT_SUPPORTED: 0xc000004f,
  NO_EAS_ON_FILE: 0xc0000052,
  FILE_LOCK_CONFLICT: 0xc0000054,
  LOCK_NOT_GRANTED: 0xc0000055,
  DELETE_PENDING: 0xc0000056,
  INVALID_OWNER: 0xc000005a,
  INVALID_PRIMARY_GROUP: 0xc000005b,
  LOGON_FAILURE: 0xc000006d,
  RANGE_NOT_LOCKED: 0xc000007e,
  DISK_FULL: 0xc000007f,
  INSUFFICIENT_RESOURCES: 0xc000009a,
  BAD_IMPERSONATION_LEVEL: 0xc00000a5,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_SUPPORTED: 0xc00000bb,
  NETWORK_NAME_DELETED: 0xc00000c9,
  NETWORK_ACCESS_DENIED: 0xc00000ca,
  BAD_NETWORK_NAME: 0xc00000cc,
  REQUEST_NOT_ACCEPTED: 0xc00000d0,
  PIPE_EMPTY: 0xc00000d9,
  INVALID_OPLOCK_PROTOCOL: 0xc00000e3,
  INTERNAL_ERROR: 0xc00000e5,
  DIRECTORY_NOT_EMPTY: 0xc0000101,
  NOT_A_DIRECTORY: 0xc0000103,
  TOO_MANY_OPENED_FILES: 0xc000011f,
  CANCELLED: 0xc0000120,
  CANNOT_DELETE: 0xc0000121,
  FILE_CLOSED: 0xc0000128,
  INVALID_DEVICE_STATE: 0xc0000184,
  INVALID_LOCK_RANGE: 0xc00001a1,
  USER_SESSION_DELETED: 0xc0000203,
  NOT_FOUND: 0xc0000225,
  NETWORK_SESSION_EXPIRED: 0xc000035c,
} as const;
export type Status = (typeof Status)[keyof typeof Status];

const statusNames = new Map<number, string>(Object.entries(Status).map(([k, v]) => [v, `STATUS_${k}`]));

export function statusName(status: number): string {
  return statusNames.get(status >>> 0) ?? `0x${(status >>> 0).toString(16).padStart(8, '0')}`;
}

/** Errors and warnings: severity bits 0b11 (error) or 0b10 (warning), [MS-ERREF] 2.3. */
export function isError(status: number): boolean {
  return status >>> 30 === 3;
}

/** Map a Node fs errno code to the NTSTATUS a Windows server would give. */
export function statusFromErrno(code: string | undefined, missingParent = false): number {
  switch (code) {
    case 'ENOENT':
      return missingParent ? Status.OBJECT_PATH_NOT_FOUND : Status.OBJECT_NAME_NOT_FOUND;
    case 'ENOTDIR':
      return Status.OBJECT_PATH_NOT_FOUND;
    case 'EEXIST':
      return Status.OBJECT_NAME_COLLISION;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return Status.ACCESS_DENIED;
    case 'EISDIR':
      return Status.FILE_IS_A_DIRECTORY;
    case 'ENOTEMPTY':
      return Status.DIRECTORY_NOT_EMPTY;
    case 'ENOSPC':
    case 'EDQUOT':
    case 'EFBIG':
      return Status.DISK_FULL;
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return Status.OBJECT_NAME_INVALID;
    case 'EBADF':
      return Status.FILE_CLOSED;
    case 'EMFILE':
    case 'ENFILE':
      return Status.TOO_MANY_OPENED_FILES;
    case 'EBUSY':
      return Status.SHARING_VIOLATION;
    case 'ELOOP':
    case 'EXDEV': // openat2 RESOLVE_BENEATH: the path leads out of the share
      return Status.ACCESS_DENIED;
    default:
      return Status.UNSUCCESSFUL;
  }
}

/**
 * An operation failure that carries the NTSTATUS to answer. The convention: decoders and
 * helpers throw it (or its subclass DecodeError for malformed bytes), handlers return their
 * own statuses, and dispatch turns a thrown one into the response status.
 */
export class SmbStatusError extends Error {
  constructor(
    readonly status: number,
    message = statusName(status),
  ) {
    super(message);
    this.name = 'SmbStatusError';
  }
}
