import { decodeTreeConnectRequest, encodeTreeConnectResponse } from '../../smb2/commands/tree-connect.js';
import { FILE_ALL_ACCESS, FILE_READ_ONLY_ACCESS, ShareType } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, SessionContext } from '../handler.js';
import type { ShareConfig } from '../options.js';
import type { Session } from '../state.js';

function allowed(session: Session, share: ShareConfig): boolean {
  if (session.guest || session.anonymous) return share.guestOk;
  if (share.validUsers.length === 0) return true;
  return share.validUsers.some((u) => u.toLowerCase() === session.user.toLowerCase());
}

/** TREE_CONNECT, [MS-SMB2] 3.3.5.7: disk shares from the options, plus IPC$. */
export async function treeConnect(ctx: SessionContext): Promise<HandlerResult> {
  const session = ctx.session;
  const req = decodeTreeConnectRequest(ctx.reader);
  const name = req.path.slice(req.path.lastIndexOf('\\') + 1);
  const id = session.nextTreeId++;
  if (name.toUpperCase() === 'IPC$') {
    session.trees.set(id, { id, share: null, root: null, readOnly: true, maximalAccess: FILE_READ_ONLY_ACCESS });
    return { status: Status.SUCCESS, body: encodeTreeConnectResponse({ shareType: ShareType.PIPE, shareFlags: 0, capabilities: 0, maximalAccess: FILE_READ_ONLY_ACCESS }), reply: { treeId: id } };
  }
  const share = ctx.core.findShare(name);
  if (!share) return { status: Status.BAD_NETWORK_NAME };
  if (!allowed(session, share)) return { status: Status.ACCESS_DENIED };
  const maximalAccess = share.readOnly ? FILE_READ_ONLY_ACCESS : FILE_ALL_ACCESS;
  session.trees.set(id, { id, share, root: ctx.core.shareRoot(share), readOnly: share.readOnly, maximalAccess });
  ctx.log.debug({ share: share.name, tree: id }, 'tree connected');
  return {
    status: Status.SUCCESS,
    body: encodeTreeConnectResponse({ shareType: ShareType.DISK, shareFlags: 0, capabilities: 0, maximalAccess }),
    reply: { treeId: id },
  };
}
