import { Access, InfoType } from '../../smb2/constants.js';
import { encodeCreateResponse, type CreateRequest } from '../../smb2/commands/create.js';
import { encodeReadResponseHeader, type ReadRequest } from '../../smb2/commands/read.js';
import { encodeWriteResponse, type WriteRequest } from '../../smb2/commands/write.js';
import { encodeIoctlResponse, type IoctlRequest } from '../../smb2/commands/ioctl.js';
import { encodeQueryInfoResponse, type QueryInfoRequest } from '../../smb2/commands/query-info.js';
import { Status } from '../../smb2/status.js';
import { encodeFileInfo, fitInfoOutput, type FileRecord } from '../../smb2/info/index.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import type { ReadPayload } from '../file-io.js';
import { registerOpen } from '../open-files.js';
import { openPipeEndpoint } from './pipe-registry.js';
import type { PipeHandle, PipeRead } from './pipe-handle.js';

/** FILE_ATTRIBUTE_NORMAL, [MS-FSCC] 2.6: what Windows and Samba report for a pipe. */
const FILE_ATTRIBUTE_NORMAL = 0x80;
/** CreateAction FILE_OPENED, [MS-SMB2] 2.2.14. */
const FILE_OPENED = 1;
/** AllocationSize Samba and Windows report for a pipe open. */
const PIPE_ALLOCATION = 4096;

/** What a pipe open may do, whatever it asked for: read, write, read its security, wait on it. */
const PIPE_ACCESS = Access.FILE_READ_DATA | Access.FILE_WRITE_DATA | Access.READ_CONTROL | Access.SYNCHRONIZE;

const pipes = new WeakMap<Open, PipeHandle>();

/** The pipe behind an open on IPC$, if it is one. */
export function pipeOf(open: Open): PipeHandle | undefined {
  return pipes.get(open);
}

/** CREATE on IPC$, [MS-SMB2] 3.3.5.9: open a served pipe by name. */
export function openPipe(ctx: TreeContext, req: CreateRequest): HandlerResult {
  const handle = openPipeEndpoint(ctx.core, req.name, ctx.session);
  if (!handle) return { status: Status.OBJECT_NAME_NOT_FOUND };
  if (ctx.conn.opens.size >= ctx.core.options.limits.maxOpenFilesPerConnection) return { status: Status.TOO_MANY_OPENED_FILES };
  const open = registerOpen(ctx.core, ctx.conn, {
    session: ctx.session,
    tree: ctx.tree,
    relative: handle.name,
    fileKey: `pipe:${handle.name}`,
    isDirectory: false,
    grantedAccess: PIPE_ACCESS,
    shareAccess: req.shareAccess,
    createOptions: req.createOptions,
    deleteOnClose: false,
    position: 0,
  });
  pipes.set(open, handle);
  ctx.chain.fileId = open.fileId;
  const zeroTime = 0n;
  return {
    status: Status.SUCCESS,
    body: encodeCreateResponse({
      oplockLevel: 0, flags: 0, createAction: FILE_OPENED, fileId: open.fileId, contexts: [],
      creationTime: zeroTime, lastAccessTime: zeroTime, lastWriteTime: zeroTime, changeTime: zeroTime,
      allocationSize: BigInt(PIPE_ALLOCATION), endOfFile: 0n, fileAttributes: FILE_ATTRIBUTE_NORMAL,
    }),
  };
}

function payloadOf(data: Buffer): ReadPayload {
  return { chunks: [data], length: data.length, path: 'copy', copyReason: 'pipe', release() {} };
}

/** STATUS_BUFFER_OVERFLOW when a message is cut; the client reads the rest next, [MS-SMB2] 3.3.5.12. */
function readStatus(got: PipeRead): number {
  return got.more ? Status.BUFFER_OVERFLOW : Status.SUCCESS;
}

/** READ on a pipe: the next message, or as much of it as fits. */
export function readPipe(pipe: PipeHandle, req: ReadRequest): HandlerResult {
  const got = pipe.read(req.length);
  if (!got) return { status: Status.PIPE_EMPTY };
  return {
    status: readStatus(got),
    body: encodeReadResponseHeader({ dataLength: got.data.length, dataRemaining: 0, flags: 0 }),
    payload: payloadOf(got.data),
  };
}

/** WRITE on a pipe: the endpoint consumes the bytes now; its answer waits for READ. */
export function writePipe(pipe: PipeHandle, req: WriteRequest): HandlerResult {
  if (req.channel !== 0) return { status: Status.INVALID_PARAMETER };
  pipe.write(Buffer.concat(req.data, req.length));
  return { status: Status.SUCCESS, body: encodeWriteResponse({ count: req.length, remaining: 0 }) };
}

/** FSCTL_PIPE_TRANSCEIVE, [MS-SMB2] 3.3.5.15.7: write the input, answer with the first message. */
export function transceivePipe(pipe: PipeHandle, req: IoctlRequest): HandlerResult {
  const got = pipe.transceive(req.input, req.maxOutputResponse);
  if (!got) return { status: Status.PIPE_EMPTY };
  return { status: readStatus(got), body: encodeIoctlResponse({ ctlCode: req.ctlCode, fileId: req.fileId, flags: 0, output: got.data }) };
}

/** QUERY_INFO on a pipe: file classes describe an empty, normal file named after the pipe. */
export function queryPipeInfo(open: Open, pipe: PipeHandle, req: QueryInfoRequest): HandlerResult {
  if (req.infoType !== InfoType.FILE) return { status: Status.NOT_SUPPORTED };
  const rec: FileRecord = {
    name: pipe.name, isDirectory: false, size: 0, allocationSize: PIPE_ALLOCATION, creationTime: 0n, lastAccessTime: 0n,
    lastWriteTime: 0n, changeTime: 0n, fileId: 0n, attributes: FILE_ATTRIBUTE_NORMAL, links: 1,
  };
  const full = encodeFileInfo(req.infoClass, rec, {
    position: 0, mode: 0, accessMask: open.grantedAccess, deletePending: false, shareRelativePath: pipe.name,
  });
  const fit = fitInfoOutput(InfoType.FILE, req.infoClass, full, req.outputBufferLength);
  if (fit.status !== Status.SUCCESS && fit.status !== Status.BUFFER_OVERFLOW) return { status: fit.status };
  return { status: fit.status, body: encodeQueryInfoResponse(fit.buffer) };
}
