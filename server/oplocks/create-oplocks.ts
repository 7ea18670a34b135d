import { Dialect } from '../../smb2/constants.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import { CreateContextName, type CreateContext, type CreateRequest } from '../../smb2/commands/create.js';
import { OplockLevel } from '../../smb2/commands/oplock-break.js';
import { decodeLeaseContext, encodeLeaseContext } from '../../smb2/commands/lease-context.js';
import type { HandlerResult, RequestContext } from '../handler.js';
import type { ConnectionState, Open } from '../state.js';
import { SendStage } from '../send.js';
import { grantFor, leaseKeyOnOtherFile, type Granted, type OplockRequest } from './grant.js';
import type { Contender } from './oplock-table.js';
import type { BreakCause } from './rules.js';
import { cancelledOf, statusOfError } from './wait.js';

/** The connection's ClientGuid, which keys its leases, [MS-SMB2] 3.3.1.4. */
export function clientGuidOf(conn: ConnectionState): string {
  return conn.negotiated?.clientGuid.toString('hex') ?? `connection-${conn.id}`;
}

/** RequestedOplockLevel and the RqLs context; leases need 2.1 or later, v2 leases 3.x, [MS-SMB2] 3.3.5.9.8 and 3.3.5.9.11. */
export function oplockRequestOf(conn: ConnectionState, req: CreateRequest): OplockRequest {
  if (req.requestedOplockLevel !== OplockLevel.LEASE) return { oplockLevel: req.requestedOplockLevel };
  const context = req.contexts.find((c) => c.name === CreateContextName.REQUEST_LEASE);
  if (conn.dialect < Dialect.SMB2_1 || !context) return { oplockLevel: OplockLevel.NONE };
  return { oplockLevel: OplockLevel.LEASE, lease: decodeLeaseContext(context.data, conn.dialect >= Dialect.SMB3_0) };
}

/** What a CREATE of an existing file contends with: its breaks are sent, `waits` are the acknowledgments due first. */
export interface CreateContention {
  contender: Contender;
  request: OplockRequest;
  waits: Promise<void>[];
  cause(): BreakCause;
}

/**
 * Before the share-mode check of a CREATE ([MS-SMB2] 3.3.5.9: oplock breaks come first): sends
 * the breaks the open causes. A stat open (attributes only) breaks nothing unless it overwrites.
 */
export function contendCreate(ctx: RequestContext, req: CreateRequest, fileKey: string, access: number, overwrite: boolean): CreateContention {
  const request = oplockRequestOf(ctx.conn, req);
  const clientGuid = clientGuidOf(ctx.conn);
  if (leaseKeyOnOtherFile(ctx.core.oplocks, clientGuid, request, fileKey)) throw new SmbStatusError(Status.INVALID_PARAMETER, 'lease key in use for another file');
  const contender: Contender = { fileKey, clientGuid, leaseKey: request.lease?.leaseKey, access };
  const cause = (): BreakCause => ({ violation: ctx.core.shareModes.wouldConflict(fileKey, access, req.shareAccess), overwrite });
  const waits = ctx.core.oplocks.contendOpen(contender, cause(), true);
  return { contender, request, waits, cause };
}


/**
 * The async part of a CREATE that broke someone's oplock or lease ([MS-SMB2] 3.3.4.6/3.3.4.7):
 * wait for the acknowledgments (each bounded by the break timeout), contend again (more opens
 * may have come meanwhile), then `proceed`. A CANCEL ends the wait with STATUS_CANCELLED.
 */
export async function createAfterBreaks(ctx: RequestContext, c: CreateContention, proceed: () => Promise<HandlerResult>, abandon: () => void): Promise<HandlerResult> {
  const stop = cancelledOf(ctx.cancelled);
  let waits = c.waits;
  while (waits.length > 0) {
    await Promise.race([...waits, stop]); // any progress: look again
    if (ctx.cancelled.aborted) {
      abandon();
      return { status: Status.CANCELLED };
    }
    waits = ctx.core.oplocks.contendOpen(c.contender, c.cause(), false);
  }
  try {
    return await proceed();
  } catch (err) {
    return { status: statusOfError(err) };
  }
}

/** The new open joins the oplock table (breaks reach it on its connection, send.ts) and gets what it may hold. */
export function grantOnCreate(ctx: RequestContext, open: Open, request: OplockRequest): Granted {
  const send = new SendStage(ctx.conn.transport, ctx.core.log);
  ctx.core.oplocks.track(open, clientGuidOf(ctx.conn), (message) => void send.notify(message));
  return grantFor(ctx.core.oplocks, open, request, ctx.core.options.limits);
}

/** The RqLs response context of a granted lease, [MS-SMB2] 2.2.14.2.10/2.2.14.2.11. */
export function leaseResponseContexts(granted: Granted): CreateContext[] {
  return granted.lease ? [{ name: CreateContextName.REQUEST_LEASE, data: encodeLeaseContext(granted.lease) }] : [];
}
