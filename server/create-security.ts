/**
 * The SMB2_CREATE_SD_BUFFER create context ([MS-SMB2] 2.2.13.2.2): the security descriptor a CREATE
 * gives the file it creates ([MS-FSA] 2.1.5.1.1), mapped onto owner, group and mode bits
 * (security-mode.ts). Opening or overwriting an existing file leaves its security alone.
 */
import { CreateAction } from '../smb2/constants.js';
import type { CreateRequest } from '../smb2/commands/create.js';
import { SecurityInformation } from '../smb2/info/classes.js';
import { decodeSecurityDescriptor, SD_BUFFER_CONTEXT, type DecodedSecurityDescriptor } from '../smb2/info/security-decode.js';
import type { TreeContext } from './handler.js';
import type { Open } from './state.js';
import { applySecurityDescriptor } from './security-mode.js';
import { closeOpen, descriptorOf } from './open-files.js';

const ALL_PARTS = SecurityInformation.OWNER_SECURITY_INFORMATION | SecurityInformation.GROUP_SECURITY_INFORMATION | SecurityInformation.DACL_SECURITY_INFORMATION;

/** The request's security descriptor, decoded before any file is touched (malformed: INVALID_PARAMETER). */
export function createSecurityDescriptor(req: CreateRequest): DecodedSecurityDescriptor | undefined {
  const context = req.contexts.find((c) => c.name === SD_BUFFER_CONTEXT);
  return context ? decodeSecurityDescriptor(context.data) : undefined;
}

/** Apply it to a file this CREATE made; when that fails the open is closed again. */
export async function applyCreateSecurity(ctx: TreeContext, open: Open, action: number, sd: DecodedSecurityDescriptor | undefined): Promise<void> {
  if (!sd || action !== CreateAction.CREATED) return;
  try {
    const fd = descriptorOf(open);
    await applySecurityDescriptor(fd, await open.tree.root!.stat(fd), sd, ALL_PARTS);
  } catch (err) {
    await closeOpen(ctx.core, ctx.conn, open).catch(() => {});
    throw err;
  }
}
