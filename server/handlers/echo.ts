import { encodeEchoResponse } from '../../smb2/commands/echo.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, RequestContext } from '../handler.js';

/** ECHO, [MS-SMB2] 3.3.5.17. */
export async function echo(_ctx: RequestContext): Promise<HandlerResult> {
  return { status: Status.SUCCESS, body: encodeEchoResponse() };
}
