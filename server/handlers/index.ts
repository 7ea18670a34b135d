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
import { changeNotify } from './change-notify.js';
import { oplockBreak } from './oplock-break.js';

/** The command table, [MS-SMB2] 3.3.5.2: what each command needs before its handler runs. CANCEL is the async stage's (async-requests.ts). */
export const handlers: Record<Command, HandlerSpec | undefined> = {
  [Command.NEGOTIATE]: { needs: 'connection', handler: negotiate },
  [Command.SESSION_SETUP]: { needs: 'connection', handler: sessionSetup },
  [Command.LOGOFF]: { needs: 'session', handler: logoff },
  [Command.TREE_CONNECT]: { needs: 'session', handler: treeConnect },
  [Command.TREE_DISCONNECT]: { needs: 'tree', handler: treeDisconnect },
  [Command.CREATE]: { needs: 'tree', handler: create, opensFile: true },
  [Command.CLOSE]: { needs: 'tree', handler: close },
  [Command.FLUSH]: { needs: 'tree', handler: flush },
  [Command.READ]: { needs: 'tree', handler: read },
  [Command.WRITE]: { needs: 'tree', handler: write },
  [Command.LOCK]: { needs: 'tree', handler: lock },
  [Command.IOCTL]: { needs: 'session', handler: ioctl },
  [Command.CANCEL]: undefined,
  [Command.ECHO]: { needs: 'connection', handler: echo, signsWithSession: true },
  [Command.QUERY_DIRECTORY]: { needs: 'tree', handler: queryDirectory },
  [Command.CHANGE_NOTIFY]: { needs: 'tree', handler: changeNotify },
  [Command.QUERY_INFO]: { needs: 'tree', handler: queryInfo },
  [Command.SET_INFO]: { needs: 'tree', handler: setInfo },
  [Command.OPLOCK_BREAK]: { needs: 'tree', handler: oplockBreak },
};
