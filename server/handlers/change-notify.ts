import { Access } from '../../smb2/constants.js';
import { ChangeNotifyFlag, decodeChangeNotifyRequest, encodeChangeNotifyResponse, type ChangeNotifyRequest } from '../../smb2/commands/change-notify.js';
import { Status } from '../../smb2/status.js';
import type { GoAsync, HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import type { DirectoryWatch, NotifyOutcome } from '../notify/directory-watch.js';
import { descriptorOf, findOpen } from '../open-files.js';
import { requireCreditCharge } from './credit-charge.js';

function resultOf(o: NotifyOutcome): HandlerResult {
  return 'output' in o ? { status: o.status, body: encodeChangeNotifyResponse(o.output) } : { status: o.status };
}

/** The open's watch, set up by its first CHANGE_NOTIFY with that request's filter, WATCH_TREE and buffer length ([MS-FSA] 2.1.5.10). */
function watchOf(ctx: TreeContext, open: Open, req: ChangeNotifyRequest): DirectoryWatch {
  open.notify ??= ctx.core.changeNotify.watch({
    filter: req.completionFilter,
    recursive: (req.flags & ChangeNotifyFlag.WATCH_TREE) !== 0,
    queueLimit: req.outputBufferLength,
    fd: descriptorOf(open),
    fileKey: open.fileKey,
  });
  return open.notify;
}

/** Wait for the watch's next changes, a CANCEL, or the end of the open. */
function waitForChanges(ctx: TreeContext, watch: DirectoryWatch, outputBufferLength: number): GoAsync | HandlerResult {
  let settle!: (o: NotifyOutcome) => void;
  const outcome = new Promise<NotifyOutcome>((resolve) => (settle = resolve));
  const now = watch.request(outputBufferLength, settle);
  if (now) return resultOf(now);
  const onCancel = () => {
    watch.forget(settle);
    settle({ status: Status.CANCELLED });
  };
  if (!ctx.mayGoAsync) {
    watch.forget(settle);
    return { status: Status.INSUFFICIENT_RESOURCES };
  }
  ctx.cancelled.addEventListener('abort', onCancel, { once: true });
  // A CANCEL that came with the request (same read) aborted the signal before the listener.
  if (ctx.cancelled.aborted) onCancel();
  const final = outcome.then((o) => {
    ctx.cancelled.removeEventListener('abort', onCancel);
    return resultOf(o);
  });
  return { final };
}

/**
 * CHANGE_NOTIFY, [MS-SMB2] 3.3.5.19: on a directory open with FILE_LIST_DIRECTORY, answered at
 * once with the changes queued since the last one, else async until the next change.
 */
export async function changeNotify(ctx: TreeContext): Promise<HandlerResult | GoAsync> {
  const req = decodeChangeNotifyRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  if (!open.isDirectory || open.fd === undefined) return { status: Status.INVALID_PARAMETER };
  if (req.outputBufferLength > ctx.core.options.maxIoSize) return { status: Status.INVALID_PARAMETER };
  requireCreditCharge(ctx, req.outputBufferLength);
  // FILE_LIST_DIRECTORY is FILE_READ_DATA's bit on a directory, [MS-SMB2] 2.2.13.1.2.
  if ((open.grantedAccess & Access.FILE_READ_DATA) === 0) return { status: Status.ACCESS_DENIED };
  if (!ctx.core.changeNotify.available) return { status: Status.NOT_SUPPORTED };
  return waitForChanges(ctx, watchOf(ctx, open, req), req.outputBufferLength);
}
