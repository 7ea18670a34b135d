import { CreateAction, HeaderFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { CreateContextName, encodeCreateResponse, type CreateContext, type CreateRequest } from '../../smb2/commands/create.js';
import { decodeLeaseContext, encodeLeaseContext, LeaseFlag } from '../../smb2/commands/lease-context.js';
import { DurableContextName, encodeDurableResponseV2 } from '../../smb2/commands/durable-contexts.js';
import { Dialect } from '../../smb2/constants.js';
import { allocationFor, fileRecordFromStats } from '../../smb2/info/index.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import { SendStage } from '../send.js';
import { statHeld } from '../create-file.js';
import { openAttributesOf } from '../open-attributes.js';
import { clientGuidOf } from '../oplocks/create-oplocks.js';
import { durablePlanOf, type DurablePlan } from './durable-request.js';
import { durableOwnerOf } from './types.js';

const NOT_FOUND = Status.OBJECT_NAME_NOT_FOUND;

function sameName(open: Open, wireName: string): boolean {
  const asked = wireName.replace(/\\/g, '/').split('/').filter((p) => p !== '' && p !== '.').join('/');
  return asked.toLowerCase() === open.relative.toLowerCase();
}

/**
 * The checks of a reconnect to a leased open ([MS-SMB2] 3.3.5.9.7 and 3.3.5.9.12, in the order
 * Windows and Samba apply them, as smbtorture's durable-open reopen2-lease shows): the request
 * must carry the lease context with the open's key from the open's client, else the open is not
 * found; then the name must be the open's (INVALID_PARAMETER).
 */
function leaseRefusal(ctx: TreeContext, req: CreateRequest, open: Open): number | undefined {
  const lease = open.oplock?.lease;
  if (!lease) return undefined;
  const context = req.contexts.find((c) => c.name === CreateContextName.REQUEST_LEASE);
  if (!context) return NOT_FOUND;
  const asked = decodeLeaseContext(context.data, ctx.conn.dialect >= Dialect.SMB3_0);
  if (!asked.leaseKey.equals(lease.key) || lease.clientGuid !== clientGuidOf(ctx.conn)) return NOT_FOUND;
  if (!open.deleteOnClose && !sameName(open, req.name)) return Status.INVALID_PARAMETER;
  return undefined;
}

/** Why the disconnected open `open` may not be reclaimed by this request, or undefined when it may. */
function refusal(ctx: TreeContext, req: CreateRequest, plan: Extract<DurablePlan, { kind: 'reconnect' }>, open: Open): number | undefined {
  const d = open.durable;
  if (!d) return NOT_FOUND;
  if (plan.version === 2 && !plan.createGuid.equals(d.createGuid)) return NOT_FOUND;
  const leaseStatus = leaseRefusal(ctx, req, open);
  if (leaseStatus !== undefined) return leaseStatus;
  if (open.tree.share?.name.toLowerCase() !== ctx.tree.share?.name.toLowerCase()) return NOT_FOUND;
  if (durableOwnerOf(ctx.session) !== d.owner) return Status.ACCESS_DENIED;
  if (ctx.conn.opens.size >= ctx.core.options.limits.maxOpenFilesPerConnection) return Status.TOO_MANY_OPENED_FILES;
  return undefined;
}

/** The open joins this connection, session and tree under a new volatile FileId; breaks reach it here now. */
function reattach(ctx: TreeContext, open: Open): void {
  ctx.core.durable.reattach(open);
  open.session = ctx.session;
  open.tree = ctx.tree;
  open.fileId = { persistent: open.fileId.persistent, volatile: ctx.conn.allocateFileId() };
  ctx.conn.opens.set(open.fileId.volatile, open);
  const clientGuid = clientGuidOf(ctx.conn);
  ctx.core.durable.rekey(open, clientGuid);
  if (open.oplock) {
    const send = new SendStage(ctx.conn.transport, ctx.core.log);
    open.oplock.notify = (message) => void send.notify(message);
    if (!open.oplock.lease) open.oplock.clientGuid = clientGuid;
  }
  ctx.chain.fileId = open.fileId;
}

function leaseContexts(open: Open): CreateContext[] {
  const lease = open.oplock?.lease;
  if (!lease) return [];
  let flags = lease.breaking ? LeaseFlag.BREAK_IN_PROGRESS : 0;
  if (lease.version === 2 && lease.parentKey) flags |= LeaseFlag.PARENT_LEASE_KEY_SET;
  const data = encodeLeaseContext({
    version: lease.version, leaseKey: lease.key, leaseState: lease.state, flags, parentLeaseKey: lease.parentKey ?? Buffer.alloc(16), epoch: lease.epoch,
  });
  return [{ name: CreateContextName.REQUEST_LEASE, data }];
}

/** The CREATE response naming an existing open: its oplock or lease as it holds them, no durable context. */
export function existingOpenResponse(open: Open, createAction: number, extra: CreateContext[] = []): HandlerResult {
  const rec = fileRecordFromStats(open.relative.split('/').at(-1) ?? '', statHeld(open.fd ?? -1));
  if (open.io) rec.size = open.io.size();
  rec.allocationSize = Math.max(allocationFor(rec.size), open.initialAllocation ?? 0);
  return {
    status: Status.SUCCESS,
    body: encodeCreateResponse({
      oplockLevel: open.oplock?.level ?? 0,
      flags: 0,
      createAction,
      ...openAttributesOf(rec),
      fileId: open.fileId,
      contexts: [...leaseContexts(open), ...extra],
    }),
  };
}

/**
 * DHnC / DH2C, [MS-SMB2] 3.3.5.9.7 and 3.3.5.9.12: find the disconnected durable open by
 * FileId.Persistent, check who asks, and hand it to this connection, session and tree. The
 * request's other fields (name of an oplock open, access, disposition, …) are ignored.
 */
function reconnectDurable(ctx: TreeContext, req: CreateRequest, plan: Extract<DurablePlan, { kind: 'reconnect' }>): HandlerResult {
  const open = ctx.core.durable.findDisconnected(plan.fileId.persistent);
  if (!open) return { status: NOT_FOUND };
  const status = refusal(ctx, req, plan, open);
  if (status !== undefined) return { status };
  reattach(ctx, open);
  ctx.log.debug({ persistent: open.fileId.persistent.toString(16), name: open.relative }, 'durable open reconnected');
  return existingOpenResponse(open, CreateAction.OPENED);
}

/**
 * A replayed DH2Q (SMB2_FLAGS_REPLAY_OPERATION, [MS-SMB2] 3.3.5.9.10): the open its CreateGuid
 * made, when it is still this session's, is the answer; the CREATE is not executed again.
 */
function replayedCreate(ctx: TreeContext, plan: Extract<DurablePlan, { kind: 'request' }>): HandlerResult | undefined {
  if (plan.version !== 2 || !(ctx.header.flags & HeaderFlag.REPLAY_OPERATION)) return undefined;
  const open = ctx.core.durable.findReplay(clientGuidOf(ctx.conn), plan.createGuid);
  if (!open || open.durable?.disconnected || ctx.conn.opens.get(open.fileId.volatile) !== open || open.session !== ctx.session) return undefined;
  ctx.chain.fileId = open.fileId;
  const dh2q = { name: DurableContextName.REQUEST_V2, data: encodeDurableResponseV2({ timeout: open.durable?.timeoutMs ?? 0, flags: 0 }) };
  return existingOpenResponse(open, open.durable?.createAction ?? CreateAction.OPENED, [dh2q]);
}

/**
 * The durable part of a CREATE before it opens anything: a reconnect or a replay is answered
 * here; undefined lets the CREATE go on (grant.ts marks it durable once it is open).
 * Bad combinations of durable contexts are INVALID_PARAMETER (thrown).
 */
export function durableBeforeCreate(ctx: TreeContext, req: CreateRequest): HandlerResult | undefined {
  const plan = durablePlanOf(ctx.conn.dialect, req);
  if (plan.kind === 'reconnect') return reconnectDurable(ctx, req, plan);
  if (plan.kind === 'request') return replayedCreate(ctx, plan);
  return undefined;
}
