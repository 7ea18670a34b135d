import { encodeTreeDisconnectResponse } from '../../smb2/commands/tree-disconnect.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import { closeOpen } from '../open-files.js';

/** TREE_DISCONNECT, [MS-SMB2] 3.3.5.8: closes the tree's opens. */
export async function treeDisconnect(ctx: TreeContext): Promise<HandlerResult> {
  const tree = ctx.tree;
  for (const open of [...ctx.conn.opens.values()]) if (open.tree === tree) await closeOpen(ctx.core, ctx.conn, open);
  ctx.session.trees.delete(tree.id);
  return { status: Status.SUCCESS, body: encodeTreeDisconnectResponse() };
}
