import { Access, CreateOption } from '../../smb2/constants.js';
import {
  CreateContextName, decodeCreateRequest, encodeCreateResponse, type CreateContext, type CreateRequest,
} from '../../smb2/commands/create.js';
import { encodeMaximalAccessResponse, encodeOnDiskIdResponse } from '../../smb2/commands/create-contexts.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import { fileRecordFromStats } from '../../smb2/info/index.js';
import { isReadOnlyMode } from '../../smb2/info/from-stats.js';
import { goesAsync, type GoAsync, type HandlerResult, type TreeContext } from '../handler.js';
import type { TreeConnect } from '../state.js';
import type { FileIo } from '../file-io.js';
import { grantedAccess, canWrite } from '../access.js';
import { closeChecked, openForData, openOrCreate, reopenForHandle, type CreateOutcome } from '../create-file.js';
import { fileKeyOf, type HostStats } from '../host-fs.js';
import { closeQuietly, splitSharePath, type ShareRoot } from '../share-root.js';
import { registerOpen, reserveOpenSlot, type OpenSlot } from '../open-files.js';
import { openAttributesOf } from '../open-attributes.js';
import { openPipe } from '../pipes/pipe-smb.js';
import { contendCreate, createAfterBreaks, grantOnCreate, leaseResponseContexts, type CreateContention } from '../oplocks/create-oplocks.js';
import { createRequestRefusal } from '../create-checks.js';
import { applyCreateEas, createEas } from '../create-eas.js';
import type { ExtendedAttribute } from '../../smb2/info/extended-attributes.js';
import { applyCreateSecurity, createSecurityDescriptor } from '../create-security.js';
import type { DecodedSecurityDescriptor } from '../../smb2/info/security-decode.js';
import { durableBeforeCreate } from '../durable/reconnect.js';
import { grantDurable } from '../durable/grant.js';
import { applyCreateAttributes, initialAllocationOf } from '../create-attributes.js';

/** Answers to the create contexts we understand; the rest are tolerated and ignored, [MS-SMB2] 3.3.5.9. */
function answerContexts(contexts: CreateContext[], tree: TreeConnect, st: HostStats): CreateContext[] {
  const out: CreateContext[] = [];
  for (const c of contexts) {
    if (c.name === CreateContextName.QUERY_MAXIMAL_ACCESS) {
      out.push({ name: c.name, data: encodeMaximalAccessResponse({ queryStatus: Status.SUCCESS, maximalAccess: tree.maximalAccess }) });
    } else if (c.name === CreateContextName.QUERY_ON_DISK_ID) {
      out.push({ name: c.name, data: encodeOnDiskIdResponse({ diskFileId: st.ino, volumeId: st.dev }) });
    }
  }
  return out;
}

/** DELETE_ON_CLOSE needs a writable share and DELETE access, [MS-SMB2] 3.3.5.9. */
function deleteOnCloseRefused(req: CreateRequest, tree: TreeConnect, access: number): boolean {
  return (req.createOptions & CreateOption.DELETE_ON_CLOSE) !== 0 && (tree.readOnly || !(access & Access.DELETE));
}

/**
 * Take the share mode, reopen the checked file for the handle, open its data through the FileIo
 * provider (reopened from the handle's descriptor, so it gets this very file), and truncate for
 * overwrite dispositions.
 */
async function openData(ctx: TreeContext, root: ShareRoot, outcome: CreateOutcome, access: number, shareAccess: number) {
  const writable = outcome.truncate || (canWrite(access) && !ctx.tree.readOnly);
  const isDirectory = outcome.stats.isDirectory();
  let releaseShareMode: () => void;
  let fd: number;
  let dataFd: number | undefined;
  try {
    releaseShareMode = ctx.core.shareModes.acquire(fileKeyOf(outcome.stats), access, shareAccess);
  } catch (err) {
    void closeQuietly(outcome.fd); // SHARING_VIOLATION: the checked descriptor is not kept
    throw err;
  }
  try {
    fd = reopenForHandle(root, outcome, writable && !isDirectory);
  } catch (err) {
    releaseShareMode();
    void closeQuietly(outcome.fd);
    throw err;
  }
  closeChecked(outcome); // the handle's descriptor holds the file now
  try {
    if (!isDirectory) dataFd = openForData(root, fd, writable);
  } catch (err) {
    releaseShareMode();
    void closeQuietly(fd);
    throw err;
  }
  const readOnlyFd = !writable || isDirectory;
  if (dataFd === undefined) return { fd, readOnlyFd, io: undefined, stats: outcome.stats, releaseShareMode };
  let io: FileIo | undefined;
  try {
    io = await ctx.core.fileIo.open(dataFd, { writable }); // the provider owns dataFd from here, even when this fails
    if (!outcome.truncate) return { fd, readOnlyFd, io, stats: outcome.stats, releaseShareMode };
    await io.setSize(0);
    return { fd, readOnlyFd, io, stats: await root.stat(fd), releaseShareMode };
  } catch (err) {
    releaseShareMode();
    await io?.close().catch(() => {});
    void closeQuietly(fd);
    throw err;
  }
}

/** CREATE, [MS-SMB2] 3.3.5.9: resolve inside the share, apply the disposition, open the data. */
export async function create(ctx: TreeContext): Promise<HandlerResult | GoAsync> {
  const tree = ctx.tree;
  const req = decodeCreateRequest(ctx.reader);
  // A reconnect is judged by its durable context, name and lease key only: the other fields
  // are ignored, however invalid ([MS-SMB2] 3.3.5.9.7; smbtorture smb2.durable-open.reopen2).
  const reclaimed = tree.root ? durableBeforeCreate(ctx, req) : undefined; // DHnC/DH2C reconnect, DH2Q replay
  if (reclaimed) return reclaimed;
  const refusal = createRequestRefusal(req);
  if (refusal !== undefined) return { status: refusal };
  if (!tree.root) return openPipe(ctx, req);
  const eas = createEas(req, ctx.core.hostFs);
  const sd = createSecurityDescriptor(req);
  const access = grantedAccess(req.desiredAccess, tree.maximalAccess);
  if (deleteOnCloseRefused(req, tree, access)) return { status: Status.ACCESS_DENIED };
  const parts = splitSharePath(req.name);
  if (parts.length === 0 && req.createOptions & CreateOption.DELETE_ON_CLOSE) return { status: Status.ACCESS_DENIED };
  const slot = reserveOpenSlot(ctx.conn, ctx.core.options.limits.maxOpenFilesPerConnection);
  if (!slot) return { status: Status.TOO_MANY_OPENED_FILES };
  let result: HandlerResult | GoAsync | undefined;
  try {
    result = await createInShare(ctx, req, tree.root, parts, access, slot, { eas, sd });
    return result;
  } finally {
    // An open waiting for oplock breaks keeps its slot until it is final.
    if (result && goesAsync(result)) void result.final.finally(() => slot.release());
    else slot.release();
  }
}

async function checkedOutcome(ctx: TreeContext, req: CreateRequest, root: ShareRoot, parts: string[], access: number): Promise<CreateOutcome> {
  const outcome = await openOrCreate(root, parts, req.createDisposition, req.createOptions, ctx.tree.readOnly);
  let refusal: number | undefined;
  if (ctx.core.openFiles.isDeletePending(fileKeyOf(outcome.stats))) refusal = Status.DELETE_PENDING; // [MS-FSA] 2.1.5.1.2
  // READONLY lives in the mode bits and the server may run as root, so refuse writers here.
  else if (!outcome.stats.isDirectory() && isReadOnlyMode(outcome.stats.mode) && (canWrite(access) || outcome.truncate)) refusal = Status.ACCESS_DENIED; // [MS-FSA] 2.1.5.1.2.1
  if (refusal === undefined) return outcome;
  await closeQuietly(outcome.fd);
  throw new SmbStatusError(refusal);
}

/** What a CREATE sets on the file it makes: EAs (create-eas.ts) and a security descriptor (create-security.ts). */
interface CreateExtras {
  eas: ExtendedAttribute[];
  sd: DecodedSecurityDescriptor | undefined;
}

/** Breaks the open causes go out before its share-mode check; waiting for them makes the CREATE async, [MS-SMB2] 3.3.5.9. */
async function createInShare(ctx: TreeContext, req: CreateRequest, root: ShareRoot, parts: string[], access: number, slot: OpenSlot, extras: CreateExtras): Promise<HandlerResult | GoAsync> {
  const outcome = await checkedOutcome(ctx, req, root, parts, access);
  let contention: CreateContention;
  try {
    contention = contendCreate(ctx, req, fileKeyOf(outcome.stats), access, outcome.truncate);
  } catch (err) {
    await closeQuietly(outcome.fd);
    throw err;
  }
  const proceed = () => openAndRegister(ctx, req, root, parts, access, slot, outcome, contention, extras);
  if (contention.waits.length === 0) return proceed();
  // Inside a compound the elements after it need its FileId: wait in place, without an interim
  // response in the middle of the chain (the Linux client drops the connection on one).
  if (ctx.header.nextCommand !== 0) return createAfterBreaks(ctx, contention, proceed, () => void closeQuietly(outcome.fd));
  if (!ctx.mayGoAsync) {
    await closeQuietly(outcome.fd);
    return { status: Status.INSUFFICIENT_RESOURCES };
  }
  return { final: createAfterBreaks(ctx, contention, proceed, () => void closeQuietly(outcome.fd)) };
}

async function openAndRegister(
  ctx: TreeContext, req: CreateRequest, root: ShareRoot, parts: string[], access: number, slot: OpenSlot, outcome: CreateOutcome, contention: CreateContention, extras: CreateExtras,
): Promise<HandlerResult> {
  const tree = ctx.tree;
  const isDirectory = outcome.stats.isDirectory();
  const data = await openData(ctx, root, outcome, access, req.shareAccess);
  const { fd, readOnlyFd, io, releaseShareMode } = data;
  const stats = applyCreateAttributes(fd, outcome.action, req.fileAttributes, data.stats);
  const open = registerOpen(ctx.core, ctx.conn, {
    session: ctx.session,
    tree,
    relative: parts.join('/'),
    fd,
    readOnlyFd,
    fileKey: fileKeyOf(outcome.stats),
    isDirectory,
    grantedAccess: access,
    shareAccess: req.shareAccess,
    createOptions: req.createOptions,
    io,
    deleteOnClose: (req.createOptions & CreateOption.DELETE_ON_CLOSE) !== 0,
    position: 0,
    releaseShareMode,
    initialAllocation: initialAllocationOf(outcome.action, isDirectory, req.contexts),
  }, slot);
  await applyCreateEas(ctx, open, outcome.action, extras.eas);
  await applyCreateSecurity(ctx, open, outcome.action, extras.sd);
  ctx.chain.fileId = open.fileId;
  const granted = isDirectory ? { oplockLevel: 0 } : grantOnCreate(ctx, open, contention.request);
  const rec = fileRecordFromStats(parts.at(-1) ?? '', stats);
  if (io) rec.size = io.size(); // may include writes the page cache has not written back yet
  rec.allocationSize = Math.max(rec.allocationSize, open.initialAllocation ?? 0);
  return {
    status: Status.SUCCESS,
    body: encodeCreateResponse({
      oplockLevel: granted.oplockLevel,
      flags: 0,
      createAction: outcome.action,
      ...openAttributesOf(rec),
      fileId: open.fileId,
      contexts: [...answerContexts(req.contexts, tree, stats), ...leaseResponseContexts(granted), ...grantDurable(ctx, req, open, granted, outcome.action)],
    }),
  };
}
