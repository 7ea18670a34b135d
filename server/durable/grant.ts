import { OplockLevel, LeaseState } from '../../smb2/commands/oplock-break.js';
import type { CreateContext, CreateRequest } from '../../smb2/commands/create.js';
import { DurableContextName, encodeDurableResponse, encodeDurableResponseV2 } from '../../smb2/commands/durable-contexts.js';
import type { RequestContext } from '../handler.js';
import type { Open } from '../state.js';
import type { Granted } from '../oplocks/grant.js';
import { clientGuidOf } from '../oplocks/create-oplocks.js';
import { durablePlanOf } from './durable-request.js';
import { durableOwnerOf } from './types.js';

/** Durability comes with a Batch oplock or a lease with handle caching only, [MS-SMB2] 3.3.5.9.6 and 3.3.5.9.10. */
function cachesHandle(granted: Granted): boolean {
  if (granted.oplockLevel === OplockLevel.BATCH) return true;
  return granted.lease !== undefined && (granted.lease.leaseState & LeaseState.HANDLE) !== 0;
}

/**
 * The timeout a durable open gets: v1 the server's default; v2 what it asked for (0: the default),
 * at most the configured maximum (300 s as Windows and Samba), [MS-SMB2] 3.3.5.9.10.
 */
function timeoutFor(ctx: RequestContext, version: 1 | 2, requested: number): number {
  const limits = ctx.core.options.limits;
  if (version === 1 || requested === 0) return Math.min(limits.durableOpenTimeoutMs, limits.maxDurableOpenTimeoutMs);
  return Math.min(requested, limits.maxDurableOpenTimeoutMs);
}

/**
 * "Successful Open Initialization" for DHnQ / DH2Q: mark the new open durable when its oplock or
 * lease allows it and return the response context. Persistent handles need a continuously
 * available share, which spliced has none of: a PERSISTENT request gets a durable handle
 * (flags 0), as Samba answers.
 */
export function grantDurable(ctx: RequestContext, req: CreateRequest, open: Open, granted: Granted, createAction: number): CreateContext[] {
  const plan = durablePlanOf(ctx.conn.dialect, req);
  if (plan.kind !== 'request' || open.isDirectory || !cachesHandle(granted)) return [];
  const timeoutMs = timeoutFor(ctx, plan.version, plan.timeout);
  open.durable = {
    version: plan.version,
    createGuid: Buffer.from(plan.createGuid),
    timeoutMs,
    owner: durableOwnerOf(open.session),
    clientGuid: clientGuidOf(ctx.conn),
    createAction,
  };
  ctx.core.durable.granted(open);
  if (plan.version === 1) return [{ name: DurableContextName.REQUEST, data: encodeDurableResponse() }];
  return [{ name: DurableContextName.REQUEST_V2, data: encodeDurableResponseV2({ timeout: timeoutMs, flags: 0 }) }];
}
