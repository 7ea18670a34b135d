import { Writer } from '../../wire/index.js';
import { Access, CreateOption } from '../../smb2/constants.js';
import {
  CreateContextName, decodeCreateRequest, encodeCreateResponse, type CreateContext, type CreateRequest,
} from '../../smb2/commands/create.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import { fileRecordFromStats } from '../../smb2/info/index.js';
import { isReadOnlyMode } from '../../smb2/info/from-stats.js';
import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { HandlerResult, RequestContext } from '../handler.js';
import type { TreeConnect } from '../state.js';
import { grantedAccess, canWrite } from '../access.js';
import { openOrCreate, type CreateOutcome } from '../create-file.js';
import { registerOpen } from '../open-files.js';
import { openAttributesOf } from '../open-attributes.js';
import { openPipe } from '../pipes/pipe-smb.js';

/** Answers to the create contexts we understand; the rest are tolerated and ignored, [MS-SMB2] 3.3.5.9. */
function answerContexts(contexts: CreateContext[], tree: TreeConnect, st: BigIntStats): CreateContext[] {
  const out: CreateContext[] = [];
  for (const c of contexts) {
    if (c.name === CreateContextName.QUERY_MAXIMAL_ACCESS) {
      // [MS-SMB2] 2.2.14.2.5: QueryStatus, MaximalAccess.
      out.push({ name: c.name, data: Buffer.from(new Writer(0, 8).u32(Status.SUCCESS).u32(tree.maximalAccess).finish()) });
    } else if (c.name === CreateContextName.QUERY_ON_DISK_ID) {
      // [MS-SMB2] 2.2.14.2.9: DiskFileId, VolumeId, Reserved.
      out.push({ name: c.name, data: Buffer.from(new Writer(0, 32).u64(st.ino).u64(st.dev).zeros(16).finish()) });
    }
  }
  return out;
}

function checkRequest(req: CreateRequest, tree: TreeConnect, access: number): void {
  if (req.createOptions & CreateOption.DELETE_ON_CLOSE) {
    if (tree.readOnly) throw new SmbStatusError(Status.ACCESS_DENIED);
    if (!(access & Access.DELETE)) throw new SmbStatusError(Status.ACCESS_DENIED);
  }
}

function fileKeyOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

/** Take the share mode, open the data through the FileIo provider, and truncate for overwrite dispositions. */
async function openData(ctx: RequestContext, absolute: string, outcome: CreateOutcome, access: number, shareAccess: number) {
  const releaseShareMode = ctx.core.shareModes.acquire(fileKeyOf(outcome.stats), access, shareAccess);
  try {
    if (outcome.stats.isDirectory()) return { io: undefined, stats: outcome.stats, releaseShareMode };
    const writable = outcome.truncate || (canWrite(access) && !ctx.tree!.readOnly);
    const io = await ctx.core.fileIo.open(absolute, { writable });
    if (!outcome.truncate) return { io, stats: outcome.stats, releaseShareMode };
    await io.setSize(0);
    return { io, stats: await stat(absolute, { bigint: true }), releaseShareMode };
  } catch (err) {
    releaseShareMode();
    throw err;
  }
}

/** CREATE, [MS-SMB2] 3.3.5.9: resolve inside the share, apply the disposition, open the data. */
export async function create(ctx: RequestContext): Promise<HandlerResult> {
  const tree = ctx.tree!;
  const req = decodeCreateRequest(ctx.reader);
  if (!tree.root) return openPipe(ctx, req);
  if (ctx.conn.opens.size >= ctx.core.options.limits.maxOpenFilesPerConnection) return { status: Status.TOO_MANY_OPENED_FILES };
  const access = grantedAccess(req.desiredAccess, tree.maximalAccess);
  checkRequest(req, tree, access);
  const target = await tree.root.resolve(req.name);
  if (target.relative === '' && req.createOptions & CreateOption.DELETE_ON_CLOSE) return { status: Status.ACCESS_DENIED };
  const outcome = await openOrCreate(target.absolute, req.createDisposition, req.createOptions, tree.readOnly);
  if (ctx.core.openFiles.isDeletePending(fileKeyOf(outcome.stats))) return { status: Status.DELETE_PENDING }; // [MS-FSA] 2.1.5.1.2
  const isDirectory = outcome.stats.isDirectory();
  // READONLY lives in the mode bits and the server may run as root, so refuse writers here.
  if (!isDirectory && isReadOnlyMode(outcome.stats.mode) && (canWrite(access) || outcome.truncate)) return { status: Status.ACCESS_DENIED }; // [MS-FSA] 2.1.5.1.2.1
  const { io, stats, releaseShareMode } = await openData(ctx, target.absolute, outcome, access, req.shareAccess);
  const open = registerOpen(ctx.conn, {
    session: ctx.session!,
    tree,
    relative: target.relative,
    absolute: target.absolute,
    fileKey: fileKeyOf(outcome.stats),
    isDirectory,
    grantedAccess: access,
    shareAccess: req.shareAccess,
    createOptions: req.createOptions,
    io,
    deleteOnClose: (req.createOptions & CreateOption.DELETE_ON_CLOSE) !== 0,
    position: 0,
    releaseShareMode,
  });
  ctx.chain.fileId = open.fileId;
  const rec = fileRecordFromStats(target.parts.at(-1) ?? '', stats);
  if (io) rec.size = io.size(); // may include writes the page cache has not written back yet
  return {
    status: Status.SUCCESS,
    body: encodeCreateResponse({
      oplockLevel: 0,
      flags: 0,
      createAction: outcome.action,
      ...openAttributesOf(rec),
      fileId: open.fileId,
      contexts: answerContexts(req.contexts, tree, stats),
    }),
  };
}
