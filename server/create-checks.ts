/**
 * CREATE request fields refused before any file is touched, [MS-SMB2] 3.3.5.9 and the parameter
 * checks of [MS-FSA] 2.1.5.1. Returns the status to fail with, or undefined.
 */
import { CreateOption } from '../smb2/constants.js';
import { FileAttribute } from '../smb2/info/index.js';
import { Status } from '../smb2/status.js';
import type { CreateRequest } from '../smb2/commands/create.js';

/** ImpersonationLevel values, [MS-SMB2] 2.2.13: Anonymous (0) to Delegate (3). */
const MAX_IMPERSONATION_LEVEL = 3;

export function createRequestRefusal(req: CreateRequest): number | undefined {
  // [MS-SMB2] 3.3.5.9: an ImpersonationLevel outside 2.2.13's list.
  if (req.impersonationLevel > MAX_IMPERSONATION_LEVEL) return Status.BAD_IMPERSONATION_LEVEL;
  // [MS-FSA] 2.1.5.1: a directory cannot be temporary.
  if (req.createOptions & CreateOption.DIRECTORY_FILE && req.fileAttributes & FileAttribute.TEMPORARY) return Status.INVALID_PARAMETER;
  return undefined;
}
