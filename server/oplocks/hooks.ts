import type { SetFileInfo } from '../../smb2/info/index.js';
import { LockFlag } from '../../smb2/constants.js';
import type { RequestContext } from '../handler.js';
import type { Open } from '../state.js';
import { clientGuidOf } from './create-oplocks.js';
import type { Contender } from './oplock-table.js';

const UNLOCK = LockFlag.UNLOCK;

function contenderOf(ctx: RequestContext, open: Open): Contender {
  return { fileKey: open.fileKey, clientGuid: clientGuidOf(ctx.conn), leaseKey: open.oplock?.lease?.key, open };
}

/** A WRITE or truncation through `open`: the other opens' read caches go, [MS-FSA] 2.1.5.4 (no waiting). */
export function breakReadCaches(ctx: RequestContext, open: Open): void {
  if (open.oplock) ctx.core.oplocks.contendWrite(contenderOf(ctx, open));
}

/** A byte-range lock taken through `open` breaks Level II oplocks and read leases as a write does (Samba, smbtorture smb2.oplock.brl*). */
export function breakForLock(ctx: RequestContext, open: Open, locks: readonly { flags: number }[]): void {
  if (locks.some((l) => (l.flags & UNLOCK) === 0)) breakReadCaches(ctx, open);
}

/**
 * The breaks a SET_INFO causes before it is applied: a new size breaks read caches; a rename or
 * a delete disposition breaks the other leases' handle caching and waits for it, [MS-FSA] 2.1.5.14.
 */
export function setInfoBreaks(ctx: RequestContext, open: Open, info: SetFileInfo): Promise<void>[] {
  if (!open.oplock) return [];
  switch (info.kind) {
    case 'end-of-file':
    case 'allocation':
      breakReadCaches(ctx, open);
      return [];
    case 'rename':
      return ctx.core.oplocks.contendNamespace(contenderOf(ctx, open));
    case 'disposition':
      return info.deletePending ? ctx.core.oplocks.contendNamespace(contenderOf(ctx, open)) : [];
    default:
      return [];
  }
}
