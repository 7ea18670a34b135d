import { Channel, CreateOption, WriteFlag } from '../../smb2/constants.js';
import { decodeWriteRequest, decodeWriteRequestHead, encodeWriteResponse, type WriteRequest } from '../../smb2/commands/write.js';
import type { FileIo, WriteFromResult } from '../file-io.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import { findOpen } from '../open-files.js';
import { canWrite } from '../access.js';
import { requireCreditCharge } from './credit-charge.js';
import { pipeOf, writePipe } from '../pipes/pipe-smb.js';
import { breakReadCaches } from '../oplocks/hooks.js';

/** WRITE, [MS-SMB2] 3.3.5.13: inline data, or pulled with RDMA READ on SMB Direct. */
export async function write(ctx: TreeContext): Promise<HandlerResult> {
  const req = ctx.incoming ? decodeWriteRequestHead(ctx.reader) : decodeWriteRequest(ctx.reader, ctx.pieces);
  const rdma = req.channel === Channel.RDMA_V1 || req.channel === Channel.RDMA_V1_INVALIDATE;
  requireCreditCharge(ctx, rdma ? req.remainingBytes : req.length);
  const open = findOpen(ctx, req.fileId);
  const pipe = pipeOf(open);
  if (pipe) return writePipe(pipe, { ...req, data: await inlineData(ctx, req) });
  if (open.tree.readOnly) return { status: Status.ACCESS_DENIED };
  if (open.isDirectory || !open.io) return { status: Status.INVALID_DEVICE_REQUEST };
  if (!canWrite(open.grantedAccess)) return { status: Status.ACCESS_DENIED };
  if (!ctx.core.locks.accessible(open, ctx.conn, req.offset, rdma ? req.remainingBytes : req.length, true)) return { status: Status.FILE_LOCK_CONFLICT };
  if (req.channel !== Channel.NONE && (!rdma || !ctx.remote.read)) return { status: Status.INVALID_PARAMETER };
  const length = rdma ? req.remainingBytes : req.length;
  if (length > ctx.core.options.maxIoSize) return { status: Status.INVALID_PARAMETER };
  breakReadCaches(ctx, open);
  const writeThrough = (req.flags & WriteFlag.WRITE_THROUGH) !== 0 || (open.createOptions & CreateOption.WRITE_THROUGH) !== 0;
  const { count, placedBytes } = await writeData(ctx, open.io, req, rdma, length, writeThrough);
  open.position = req.offset + count;
  ctx.core.telemetry.writeBytes(ctx.conn.transport.kind, count, placedBytes);
  const invalidateToken = req.channel === Channel.RDMA_V1_INVALIDATE ? req.channelInfo[0]?.token : undefined;
  return { status: Status.SUCCESS, body: encodeWriteResponse({ count, remaining: 0 }), reply: { invalidateToken } };
}

/**
 * The WRITE's data into the file, straight into the cache pages that will hold it when both the
 * file and the transport can (FileIo.writeFrom): over RDMA (RemoteBuffers.readInto), or read
 * from the socket as it arrives (IncomingWrite.fillInto). Else inline (the views of the message
 * it arrived in, never joined), or RDMA READ into a Buffer, and the ordinary write.
 */
async function writeData(ctx: TreeContext, io: FileIo, req: WriteRequest, rdma: boolean, length: number, writeThrough: boolean): Promise<WriteFromResult> {
  const { readInto, read } = ctx.remote;
  const { incoming } = ctx;
  if (rdma && io.writeFrom && readInto) return io.writeFrom(req.offset, length, (targets) => readInto(req.channelInfo, targets), { writeThrough });
  if (incoming && io.writeFrom) return io.writeFrom(req.offset, length, (targets) => incoming.fillInto(targets), { writeThrough });
  const data = rdma ? await read!(req.channelInfo, length) : await inlineData(ctx, req);
  return { count: await io.write(req.offset, data, { writeThrough }), placedBytes: 0 };
}

/** The inline data: in the message, or (a WRITE handed over early) once it has all arrived. */
function inlineData(ctx: TreeContext, req: WriteRequest): Buffer[] | Promise<Buffer[]> {
  return ctx.incoming ? ctx.incoming.whole() : req.data;
}
