import { Status, SmbStatusError, statusFromErrno } from '../../smb2/status.js';
import type { GoAsync, HandlerResult, RequestContext } from '../handler.js';

/** Resolves when the request is cancelled (CANCEL, or its connection is gone). */
export function cancelledOf(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** What a handler would have answered for an error thrown in an async continuation (dispatch.ts does it for sync ones). */
export function statusOfError(err: unknown): number {
  if (err instanceof SmbStatusError) return err.status;
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number') return status;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && code.startsWith('E')) return statusFromErrno(code);
  throw err;
}

/**
 * Run `proceed` once the break acknowledgments in `waits` are in (each bounded by the break
 * timeout): at once when there are none, else asynchronously ([MS-SMB2] 3.3.4.2; in place when
 * more elements of a compound follow) with
 * STATUS_CANCELLED on CANCEL, or INSUFFICIENT_RESOURCES when the connection may not hold
 * another async request.
 */
export async function afterBreaks(ctx: RequestContext, waits: Promise<void>[], proceed: () => Promise<HandlerResult>): Promise<HandlerResult | GoAsync> {
  if (waits.length === 0) return proceed();
  const inCompound = ctx.header.nextCommand !== 0;
  if (!ctx.mayGoAsync && !inCompound) return { status: Status.INSUFFICIENT_RESOURCES };
  const final = (async (): Promise<HandlerResult> => {
    await Promise.race([Promise.all(waits), cancelledOf(ctx.cancelled)]);
    if (ctx.cancelled.aborted) return { status: Status.CANCELLED };
    try {
      return await proceed();
    } catch (err) {
      return { status: statusOfError(err) };
    }
  })();
  // Inside a compound the elements after it wait for it: answer in place, without an interim
  // response in the middle of the chain (the Linux client drops the connection on one).
  return inCompound ? final : { final };
}
