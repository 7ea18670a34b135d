import { Status } from '../../smb2/status.js';
import type { HandlerResult, RequestContext } from '../handler.js';

/** CHANGE_NOTIFY and OPLOCK_BREAK: no notifications or oplocks are ever granted, so there is nothing to serve. */
export async function notSupported(_ctx: RequestContext): Promise<HandlerResult> {
  return { status: Status.NOT_SUPPORTED };
}
