import { Channel } from '../../smb2/constants.js';
import { decodeReadRequest, encodeReadResponseHeader } from '../../smb2/commands/read.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { ReadPayload } from '../file-io.js';
import type { BufferDescriptor } from '../../smb2/commands/buffer-desc.js';
import { findOpen } from '../open-files.js';
import { canRead } from '../access.js';
import { requireCreditCharge } from './credit-charge.js';
import { pipeOf, readPipe } from '../pipes/pipe-smb.js';

/** Push the data into the client's registered buffers (SMB Direct) through the send stage, [MS-SMB2] 3.3.5.12. ctx.payloads releases it. */
async function readOverRdma(ctx: TreeContext, payload: ReadPayload, descriptors: BufferDescriptor[], channel: number): Promise<HandlerResult> {
  const sent = await ctx.remote.write!(payload, descriptors);
  const invalidateToken = channel === Channel.RDMA_V1_INVALIDATE ? descriptors[0]?.token : undefined;
  return { status: Status.SUCCESS, body: encodeReadResponseHeader({ dataLength: 0, dataRemaining: sent, flags: 0 }), reply: { invalidateToken } };
}

/** READ, [MS-SMB2] 3.3.5.12: file data goes out as the provider's chunks, never copied here. */
export async function read(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeReadRequest(ctx.reader);
  requireCreditCharge(ctx, req.length);
  const open = findOpen(ctx, req.fileId);
  const pipe = pipeOf(open);
  if (pipe) return readPipe(pipe, req);
  if (open.isDirectory || !open.io) return { status: Status.INVALID_DEVICE_REQUEST };
  if (!canRead(open.grantedAccess)) return { status: Status.ACCESS_DENIED };
  if (req.length > ctx.core.options.maxIoSize) return { status: Status.INVALID_PARAMETER };
  const rdma = req.channel === Channel.RDMA_V1 || req.channel === Channel.RDMA_V1_INVALIDATE;
  if (req.channel !== Channel.NONE && (!rdma || !ctx.remote.write)) return { status: Status.INVALID_PARAMETER };
  if (!ctx.core.locks.accessible(open, ctx.conn, req.offset, req.length, false)) return { status: Status.FILE_LOCK_CONFLICT };
  await ctx.payloads.admit(req.length);
  const payload = ctx.payloads.adopt(await open.io.read(req.offset, req.length));
  if (payload.length === 0 && req.length > 0 || payload.length < req.minimumCount) {
    payload.release();
    return { status: Status.END_OF_FILE };
  }
  open.position = req.offset + payload.length;
  if (rdma) return readOverRdma(ctx, payload, req.channelInfo, req.channel);
  return {
    status: Status.SUCCESS,
    body: encodeReadResponseHeader({ dataLength: payload.length, dataRemaining: 0, flags: 0 }),
    payload,
  };
}
