import { CloseFlag } from '../../smb2/constants.js';
import { decodeCloseRequest, encodeCloseResponse, type CloseResponse } from '../../smb2/commands/close.js';
import { Status } from '../../smb2/status.js';
import { fileRecordFromStats } from '../../smb2/info/index.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { HostStats } from '../host-fs.js';
import { closeOpen, findOpen } from '../open-files.js';
import { openAttributesOf } from '../open-attributes.js';

const EMPTY: CloseResponse = {
  flags: 0, creationTime: 0n, lastAccessTime: 0n, lastWriteTime: 0n, changeTime: 0n, allocationSize: 0n, endOfFile: 0n, fileAttributes: 0,
};

function attributesAfterClose(st: HostStats | null): CloseResponse {
  if (!st) return EMPTY;
  const rec = fileRecordFromStats('', st);
  return { flags: CloseFlag.POSTQUERY_ATTRIB, ...openAttributesOf(rec) };
}

/** CLOSE, [MS-SMB2] 3.3.5.10. */
export async function close(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeCloseRequest(ctx.reader);
  const open = findOpen(ctx, req.fileId);
  const postQuery = (req.flags & CloseFlag.POSTQUERY_ATTRIB) !== 0;
  const st = await closeOpen(ctx.core, ctx.conn, open, postQuery);
  const body = postQuery ? attributesAfterClose(st) : EMPTY;
  return { status: Status.SUCCESS, body: encodeCloseResponse(body) };
}
