/**
 * CREATE request fields refused before any file is touched, [MS-SMB2] 3.3.5.9 and the parameter
 * checks of [MS-FSA] 2.1.5.1, with the statuses Windows answers (smbtorture smb2.create.gentest
 * spells out its table). Returns the status to fail with, or undefined. A durable reconnect, once
 * there is one, skips the ImpersonationLevel check (Samba notes Windows does).
 */
import { CreateOption } from '../smb2/constants.js';
import { FileAttribute } from '../smb2/info/index.js';
import { Status } from '../smb2/status.js';
import type { CreateRequest } from '../smb2/commands/create.js';

/** ImpersonationLevel values, [MS-SMB2] 2.2.13: Anonymous (0) to Delegate (3). */
const MAX_IMPERSONATION_LEVEL = 3;
/** CreateOptions bits [MS-SMB2] 2.2.13 does not define: STATUS_INVALID_PARAMETER. */
const UNDEFINED_OPTIONS = 0xff000000;
/** FILE_CREATE_TREE_CONNECTION (0x80), FILE_OPEN_BY_FILE_ID (0x2000), FILE_RESERVE_OPFILTER (0x100000): STATUS_NOT_SUPPORTED. */
const UNSUPPORTED_OPTIONS = 0x00000080 | 0x00002000 | 0x00100000;
/** FILE_ATTRIBUTE_VOLUME (0x8), FILE_ATTRIBUTE_DEVICE (0x40) and bits from 0x8000 up cannot be given to a file. */
const INVALID_ATTRIBUTES = 0x00000008 | 0x00000040 | 0xffff8000;
/** The two reserved DesiredAccess bits below MAXIMUM_ALLOWED, [MS-DTYP] 2.4.3: STATUS_ACCESS_DENIED. */
const RESERVED_ACCESS = 0x0c000000;

export function createRequestRefusal(req: CreateRequest): number | undefined {
  // [MS-SMB2] 3.3.5.9: an ImpersonationLevel outside 2.2.13's list.
  if (req.impersonationLevel > MAX_IMPERSONATION_LEVEL) return Status.BAD_IMPERSONATION_LEVEL;
  if ((req.createOptions & UNDEFINED_OPTIONS) !== 0) return Status.INVALID_PARAMETER;
  if ((req.createOptions & UNSUPPORTED_OPTIONS) !== 0) return Status.NOT_SUPPORTED;
  // [MS-FSA] 2.1.5.1: a file cannot be asked to be both a directory and not one.
  if (req.createOptions & CreateOption.DIRECTORY_FILE && req.createOptions & CreateOption.NON_DIRECTORY_FILE) return Status.INVALID_PARAMETER;
  // Windows checks the access before the attributes (gentest asks for both at once).
  if ((req.desiredAccess & RESERVED_ACCESS) !== 0) return Status.ACCESS_DENIED;
  if ((req.fileAttributes & INVALID_ATTRIBUTES) !== 0) return Status.INVALID_PARAMETER;
  // [MS-FSA] 2.1.5.1: a directory cannot be temporary.
  if (req.createOptions & CreateOption.DIRECTORY_FILE && req.fileAttributes & FileAttribute.TEMPORARY) return Status.INVALID_PARAMETER;
  return undefined;
}
