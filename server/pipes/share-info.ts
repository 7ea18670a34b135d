import { NdrWriter } from './ndr.js';

/** shi*_type values, [MS-SRVS] 2.2.2.4. */
export const ShareTypeCode = {
  DISKTREE: 0x00000000,
  IPC: 0x00000003,
  SPECIAL: 0x80000000,
} as const;

/** What srvsvc tells about one share (SHARE_INFO_0/1/2, [MS-SRVS] 2.2.4.22-24). */
export interface ShareInfo {
  name: string;
  type: number;
  comment: string;
  /** Local path in the Windows form clients expect ('C:\srv\share'); '' for IPC$. */
  path: string;
  currentUses: number;
}

/** SHARE_INFO_2.shi2_max_uses for "no limit", [MS-SRVS] 2.2.4.24. */
const UNLIMITED_USES = 0xffffffff;

export const SUPPORTED_LEVELS = [0, 1, 2] as const;

export function isSupportedLevel(level: number): boolean {
  return (SUPPORTED_LEVELS as readonly number[]).includes(level);
}

/** The scalar part of one SHARE_INFO_<level>: string pointers and numbers. */
function writeScalars(n: NdrWriter, level: number, s: ShareInfo): void {
  n.pointer(true);
  if (level === 0) return;
  n.u32(s.type).pointer(true);
  if (level === 1) return;
  // shi2_permissions, shi2_max_uses, shi2_current_uses, shi2_path, shi2_passwd (NULL: share-level passwords do not exist here).
  n.u32(0).u32(UNLIMITED_USES).u32(s.currentUses).pointer(true).pointer(false);
}

/** The strings those pointers refer to, in pointer order. */
function writeDeferred(n: NdrWriter, level: number, s: ShareInfo): void {
  n.string(s.name);
  if (level === 0) return;
  n.string(s.comment);
  if (level === 2) n.string(s.path);
}

/** One SHARE_INFO_<level> structure with its strings (NetrShareGetInfo). */
export function writeShareInfo(n: NdrWriter, level: number, s: ShareInfo): void {
  writeScalars(n, level, s);
  writeDeferred(n, level, s);
}

/** A conformant array of SHARE_INFO_<level>: count, every structure's scalars, then every structure's strings, [C706] 14.3.12.3. */
export function writeShareInfoArray(n: NdrWriter, level: number, shares: ShareInfo[]): void {
  n.u32(shares.length);
  for (const s of shares) writeScalars(n, level, s);
  for (const s of shares) writeDeferred(n, level, s);
}
