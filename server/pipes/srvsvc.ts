import { NdrReader, NdrWriter, NdrError } from './ndr.js';
import { isSupportedLevel, writeShareInfo, writeShareInfoArray, type ShareInfo } from './share-info.js';
import type { RpcInterface } from './dcerpc-server.js';

/** The srvsvc interface, [MS-SRVS] 1.9: 4b324fc8-1670-01d3-1278-5a47bf6ee188 version 3.0. */
export const SRVSVC_SYNTAX = { uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', version: 3 } as const;

/** Opnums we serve, [MS-SRVS] 3.1.4. */
export const SrvsvcOpnum = { NETR_SHARE_ENUM: 15, NETR_SHARE_GET_INFO: 16 } as const;

/** Win32 error codes srvsvc returns, [MS-ERREF] 2.2 and [MS-SRVS] 3.1.4.8. */
export const WinError = { SUCCESS: 0, ACCESS_DENIED: 0x5, INVALID_LEVEL: 0x7c, NERR_NET_NAME_NOT_FOUND: 0x906 } as const;

/** SHARE_INFO_2 carries the host path, [MS-SRVS] 2.2.4.24; like Windows, only named users may read it. */
const PATH_LEVEL = 2;

/** Where srvsvc learns the shares; read at each call so a config reload shows at once. */
export interface ShareSource {
  /** Every share, hidden ones included (NetrShareGetInfo finds those by name). */
  all(): ShareInfo[];
  /** What NetrShareEnum lists: the browseable shares. */
  browseable(): ShareInfo[];
  /** Whether the caller may see host paths (level 2): administrators only (see isAdministrator). */
  mayReadPaths: boolean;
}

/** The return code for `level` before any share is looked at. */
function levelStatus(source: ShareSource, level: number): number {
  if (!isSupportedLevel(level)) return WinError.INVALID_LEVEL;
  return level === PATH_LEVEL && !source.mayReadPaths ? WinError.ACCESS_DENIED : WinError.SUCCESS;
}

/**
 * NetrShareEnum, [MS-SRVS] 3.1.4.8. In: ServerName (unique string), InfoStruct (Level, union
 * discriminant, container pointer: EntriesRead, Buffer pointer), PreferedMaximumLength, ResumeHandle
 * (unique DWORD). Out: InfoStruct, TotalEntries, ResumeHandle, the return code.
 */
export function netrShareEnum(source: ShareSource, stub: Buffer): Buffer {
  const r = new NdrReader(stub);
  r.optionalString();
  const level = r.u32();
  if (r.u32() !== level) throw new NdrError('union discriminant differs from Level');
  if (r.pointer()) {
    r.u32(); // EntriesRead
    if (r.pointer()) throw new NdrError('NetrShareEnum with a non-empty input container');
  }
  r.u32(); // PreferedMaximumLength: every share fits, so we answer with all of them
  const hasResume = r.pointer();
  if (hasResume) r.u32();
  const n = new NdrWriter();
  const status = levelStatus(source, level);
  const shares = status === WinError.SUCCESS ? source.browseable() : [];
  n.u32(level).u32(level).pointer(status === WinError.SUCCESS);
  if (status === WinError.SUCCESS) {
    n.u32(shares.length).pointer(true);
    writeShareInfoArray(n, level, shares);
  }
  n.u32(shares.length);
  n.pointer(hasResume);
  if (hasResume) n.u32(0);
  n.u32(status);
  return n.finish();
}

/**
 * NetrShareGetInfo, [MS-SRVS] 3.1.4.10. In: ServerName (unique string), NetName (ref string), Level.
 * Out: InfoStruct (union discriminant, pointer to SHARE_INFO_<level>), the return code.
 */
export function netrShareGetInfo(source: ShareSource, stub: Buffer): Buffer {
  const r = new NdrReader(stub);
  r.optionalString();
  const name = r.string().toLowerCase();
  const level = r.u32();
  const share = source.all().find((s) => s.name.toLowerCase() === name);
  const allowed = levelStatus(source, level);
  const status = allowed !== WinError.SUCCESS ? allowed : share ? WinError.SUCCESS : WinError.NERR_NET_NAME_NOT_FOUND;
  const n = new NdrWriter();
  n.u32(level).pointer(status === WinError.SUCCESS);
  if (status === WinError.SUCCESS) writeShareInfo(n, level, share!);
  return n.u32(status).finish();
}

export function srvsvcInterface(source: ShareSource): RpcInterface {
  return {
    syntax: SRVSVC_SYNTAX,
    endpoint: '\\PIPE\\srvsvc',
    operations: {
      [SrvsvcOpnum.NETR_SHARE_ENUM]: (stub) => netrShareEnum(source, stub),
      [SrvsvcOpnum.NETR_SHARE_GET_INFO]: (stub) => netrShareGetInfo(source, stub),
    },
  };
}
