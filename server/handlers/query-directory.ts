import { QueryDirectoryFlag } from '../../smb2/constants.js';
import { decodeQueryDirectoryRequest, startQueryDirectoryResponse } from '../../smb2/commands/query-directory.js';
import { Status } from '../../smb2/status.js';
import { DirectoryEntryWriter, isDirectoryInfoClass } from '../../smb2/info/index.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import { findOpen } from '../open-files.js';
import { continueListing, startCursor } from '../directory-listing.js';
import { requireCreditCharge } from './credit-charge.js';

/** QUERY_DIRECTORY requests of one open run one after another: they share its cursor. */
const inFlight = new WeakMap<Open, Promise<unknown>>();

function oneAtATime<T>(open: Open, body: () => Promise<T>): Promise<T> {
  const run = (inFlight.get(open) ?? Promise.resolve()).then(body, body);
  inFlight.set(open, run.catch(() => undefined));
  return run;
}

/** QUERY_DIRECTORY, [MS-SMB2] 3.3.5.18. */
export async function queryDirectory(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeQueryDirectoryRequest(ctx.reader);
  requireCreditCharge(ctx, req.outputBufferLength);
  const open = findOpen(ctx, req.fileId);
  if (!open.isDirectory) return { status: Status.INVALID_PARAMETER };
  if (!isDirectoryInfoClass(req.infoClass)) return { status: Status.INVALID_INFO_CLASS };
  return oneAtATime(open, async () => {
    const restart = (req.flags & (QueryDirectoryFlag.RESTART_SCANS | QueryDirectoryFlag.REOPEN)) !== 0;
    const fresh = !open.cursor || restart;
    if (fresh) open.cursor = await startCursor(open, req.pattern || open.cursor?.pattern || '*');
    const cursor = open.cursor!;
    const max = Math.min(req.outputBufferLength, ctx.core.options.maxIoSize);
    const response = startQueryDirectoryResponse(max);
    const entries = new DirectoryEntryWriter(response.writer, req.infoClass, max, (req.flags & QueryDirectoryFlag.RETURN_SINGLE_ENTRY) !== 0);
    await continueListing(open, cursor, entries);
    if (entries.count > 0) return { status: Status.SUCCESS, body: response.finish() };
    if (!cursor.end || cursor.dots.length > 0) return { status: Status.INFO_LENGTH_MISMATCH };
    return { status: fresh ? Status.NO_SUCH_FILE : Status.NO_MORE_FILES };
  });
}
