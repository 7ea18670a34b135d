/**
 * The SMB2_CREATE_EA_BUFFER create context ([MS-SMB2] 2.2.13.2.1): EAs a CREATE sets on the file
 * it creates, overwrites or supersedes ([MS-FSA] 2.1.5.1); an open of an existing file ignores them.
 */
import { CreateAction } from '../smb2/constants.js';
import type { CreateRequest } from '../smb2/commands/create.js';
import { decodeEaList, EA_BUFFER_CONTEXT, type ExtendedAttribute } from '../smb2/info/extended-attributes.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import type { TreeContext } from './handler.js';
import type { HostFs } from './host-fs.js';
import type { Open } from './state.js';
import { easSupported, writeEas } from './extended-attributes.js';
import { closeOpen, descriptorOf } from './open-files.js';

/** The request's EA list, decoded before any file is touched (malformed: INVALID_PARAMETER). */
export function createEas(req: CreateRequest, fs: HostFs): ExtendedAttribute[] {
  const context = req.contexts.find((c) => c.name === EA_BUFFER_CONTEXT);
  if (!context) return [];
  if (!easSupported(fs)) throw new SmbStatusError(Status.EAS_NOT_SUPPORTED);
  return decodeEaList(context.data);
}

/** Set the EAs on a new or overwritten file; when that fails the open is closed again. */
export async function applyCreateEas(ctx: TreeContext, open: Open, action: number, eas: readonly ExtendedAttribute[]): Promise<void> {
  if (eas.length === 0 || action === CreateAction.OPENED) return;
  try {
    await writeEas(ctx.core.hostFs, descriptorOf(open), eas);
  } catch (err) {
    await closeOpen(ctx.core, ctx.conn, open).catch(() => {});
    throw err;
  }
}
