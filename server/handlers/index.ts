import { Command } from '../../smb2/constants.js';
import type { HandlerSpec } from '../handler.js';
import { negotiate } from './negotiate.js';
import { sessionSetup } from './session-setup.js';
import { logoff } from './logoff.js';
import { treeConnect } from './tree-connect.js';
import { treeDisconnect } from './tree-disconnect.js';
import { create } from './create.js';
import { close } from './close.js';
import { flush } from './flush.js';
import { read } from './read.js';
import { write } from './write.js';
import { lock } from './lock.js';
import { ioctl } from './ioctl.js';
import { echo } from './echo.js';
import { queryDirectory } from './query-directory.js';
import { queryInfo } from './query-info.js';
import { setInfo } from './set-info.js';
import { notSupported } from './not-supported.js';

const tree = { session: true, tree: true } as const;

/** The command table, [MS-SMB2] 3.3.5.2: what each command needs before its handler runs. CANCEL never gets here. */
export const handlers: Record<Command, HandlerSpec | undefined> = {
  [Command.NEGOTIATE]: { handler: negotiate, session: false, tree: false },
  [Command.SESSION_SETUP]: { handler: sessionSetup, session: false, tree: false },
  [Command.LOGOFF]: { handler: logoff, session: true, tree: false },
  [Command.TREE_CONNECT]: { handler: treeConnect, session: true, tree: false },
  [Command.TREE_DISCONNECT]: { handler: treeDisconnect, ...tree },
  [Command.CREATE]: { handler: create, ...tree },
  [Command.CLOSE]: { handler: close, ...tree },
  [Command.FLUSH]: { handler: flush, ...tree },
  [Command.READ]: { handler: read, ...tree },
  [Command.WRITE]: { handler: write, ...tree },
  [Command.LOCK]: { handler: lock, ...tree },
  [Command.IOCTL]: { handler: ioctl, session: true, tree: false },
  [Command.CANCEL]: undefined,
  [Command.ECHO]: { handler: echo, session: false, tree: false },
  [Command.QUERY_DIRECTORY]: { handler: queryDirectory, ...tree },
  [Command.CHANGE_NOTIFY]: { handler: notSupported, ...tree },
  [Command.QUERY_INFO]: { handler: queryInfo, ...tree },
  [Command.SET_INFO]: { handler: setInfo, ...tree },
  [Command.OPLOCK_BREAK]: { handler: notSupported, ...tree },
};
