import type { ServerCore } from '../server-core.js';
import type { ShareConfig } from '../options.js';
import { PipeHandle, type PipeEndpoint } from './pipe-handle.js';
import { RpcPipe } from './dcerpc-server.js';
import { ShareTypeCode, type ShareInfo } from './share-info.js';
import { srvsvcInterface, type ShareSource } from './srvsvc.js';

/** Who opened the pipe: anonymous and guest callers see less. */
export interface PipeCaller {
  anonymous: boolean;
  guest: boolean;
  user: string;
}

/**
 * Who may see host paths (NetrShareGetInfo/Enum level 2): Windows answers them to
 * administrators only. spliced has no admin groups, so only a logon as `root` counts.
 */
export function isAdministrator(caller: PipeCaller): boolean {
  return !caller.anonymous && !caller.guest && caller.user.toLowerCase() === 'root';
}

type PipeFactory = (core: ServerCore, caller: PipeCaller) => PipeEndpoint;

/** Pipes served on IPC$, by lower-case name. */
const PIPES: Record<string, PipeFactory> = {
  srvsvc: (core, caller) => new RpcPipe([srvsvcInterface(shareSource(core, caller))]),
};

/** 'srvsvc', '\srvsvc' and '\PIPE\srvsvc' all name the same pipe. */
function pipeKey(name: string): string {
  return name.replace(/^\\+/, '').replace(/^pipe\\/i, '').toLowerCase();
}

/** A fresh handle on the named pipe, or undefined when no such pipe is served. */
export function openPipeEndpoint(core: ServerCore, name: string, caller: PipeCaller): PipeHandle | undefined {
  const key = pipeKey(name);
  const factory = Object.hasOwn(PIPES, key) ? PIPES[key] : undefined;
  return factory ? new PipeHandle(key, factory(core, caller)) : undefined;
}

/** Tree connects to a share across all connections (SHARE_INFO_2.shi2_current_uses). */
function currentUses(core: ServerCore, share: ShareConfig | null): number {
  let uses = 0;
  for (const c of core.connections) {
    for (const s of c.sessions.values()) for (const t of s.trees.values()) if (t.share === share) uses++;
  }
  return uses;
}

/** Shares as srvsvc reports them: the disk shares, then IPC$ (type STYPE_IPC | STYPE_SPECIAL as Samba and Windows give it). */
function shareSource(core: ServerCore, caller: PipeCaller): ShareSource {
  const disk = (s: ShareConfig): ShareInfo => ({
    name: s.name,
    type: ShareTypeCode.DISKTREE,
    comment: s.comment,
    path: `C:${s.path.replace(/\//g, '\\')}`,
    currentUses: currentUses(core, s),
  });
  const ipc = (): ShareInfo => ({
    name: 'IPC$',
    type: (ShareTypeCode.IPC | ShareTypeCode.SPECIAL) >>> 0,
    comment: `IPC Service (${core.options.serverName})`,
    path: '',
    currentUses: currentUses(core, null),
  });
  return {
    all: () => [...core.options.shares.map(disk), ipc()],
    browseable: () => [...core.options.shares.filter((s) => s.browseable).map(disk), ipc()],
    mayReadPaths: isAdministrator(caller),
  };
}
