import { InfoType } from '../../smb2/constants.js';
import { decodeQueryInfoRequest, encodeQueryInfoResponse, type QueryInfoRequest } from '../../smb2/commands/query-info.js';
import { Status } from '../../smb2/status.js';
import { encodeErrorResponse } from '../../smb2/commands/error.js';
import {
  encodeFileInfo, encodeFsInfo, encodeSecurityDescriptor, fileRecordFromStats, minimumFileInfoLength, minimumFsInfoLength,
  volumeFactsFor,
} from '../../smb2/info/index.js';
import type { HandlerResult, TreeContext } from '../handler.js';
import type { Open } from '../state.js';
import { descriptorOf, findOpen } from '../open-files.js';
import type { HostStats } from '../host-fs.js';
import { requireCreditCharge } from './credit-charge.js';
import { statHeld } from '../create-file.js';
import { pipeOf, queryPipeInfo } from '../pipes/pipe-smb.js';
import { checkQueryInfoAccess, checkQueryInfoDialect } from '../query-info-access.js';
import { readEas } from '../extended-attributes.js';
import { FileInfoClass } from '../../smb2/info/classes.js';

/** fstat of the handle's own descriptor, whatever its name points to now: in place (statHeld), no thread-pool round trip. */
function statOpen(open: Open): HostStats {
  return statHeld(descriptorOf(open));
}

/** Classes that report the file's EAs (or their size), [MS-FSCC] 2.4. */
const EA_CLASSES: readonly number[] = [FileInfoClass.FileEaInformation, FileInfoClass.FileAllInformation, FileInfoClass.FileFullEaInformation];

async function fileInfo(open: Open, req: QueryInfoRequest): Promise<Buffer> {
  const eas = EA_CLASSES.includes(req.infoClass) ? await readEas(open.tree.root!.fs, descriptorOf(open)) : [];
  const st = statOpen(open);
  const rec = fileRecordFromStats(open.relative.split('/').at(-1) ?? '', st);
  if (open.io) {
    rec.size = open.io.size();
  }
  return encodeFileInfo(req.infoClass, rec, {
    position: open.position,
    mode: 0,
    accessMask: open.grantedAccess,
    deletePending: open.deleteOnClose,
    shareRelativePath: open.relative.replace(/\//g, '\\'),
    eas,
  });
}

async function securityInfo(open: Open, req: QueryInfoRequest): Promise<Buffer> {
  const st = statOpen(open);
  return encodeSecurityDescriptor(req.additionalInformation, { uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), isDirectory: st.isDirectory() });
}

/**
 * Fit the answer into OutputBufferLength, [MS-SMB2] 3.3.5.20: below the fixed part is
 * STATUS_INFO_LENGTH_MISMATCH, a truncated variable part is STATUS_BUFFER_OVERFLOW with data.
 */
function fit(output: Buffer, max: number, minimum: number | undefined): HandlerResult {
  if (output.length <= max) return { status: Status.SUCCESS, body: encodeQueryInfoResponse(output) };
  if (max < (minimum ?? output.length)) return { status: Status.INFO_LENGTH_MISMATCH };
  return { status: Status.BUFFER_OVERFLOW, body: encodeQueryInfoResponse(output.subarray(0, max)) };
}

/** QUERY_INFO, [MS-SMB2] 3.3.5.20: file, filesystem and security information. */
export async function queryInfo(ctx: TreeContext): Promise<HandlerResult> {
  const req = decodeQueryInfoRequest(ctx.reader);
  requireCreditCharge(ctx, Math.max(req.input.length, req.outputBufferLength));
  const open = findOpen(ctx, req.fileId);
  const pipe = pipeOf(open);
  if (pipe) return queryPipeInfo(open, pipe, req);
  checkQueryInfoDialect(ctx.conn.dialect, req.infoType, req.infoClass);
  checkQueryInfoAccess(open.grantedAccess, req.infoType, req.infoClass, req.additionalInformation);
  switch (req.infoType) {
    case InfoType.FILE:
      return fit(await fileInfo(open, req), req.outputBufferLength, minimumFileInfoLength[req.infoClass]);
    case InfoType.FILESYSTEM: {
      const facts = await volumeFactsFor(open.tree.share!.path, open.tree.share!.name);
      return fit(encodeFsInfo(req.infoClass, facts), req.outputBufferLength, minimumFsInfoLength[req.infoClass]);
    }
    case InfoType.SECURITY: {
      const sd = await securityInfo(open, req);
      if (sd.length > req.outputBufferLength) {
        // [MS-SMB2] 3.3.5.20.3: tell the client how big a buffer it needs.
        const needed = Buffer.alloc(4);
        needed.writeUInt32LE(sd.length);
        return { status: Status.BUFFER_TOO_SMALL, body: encodeErrorResponse(needed) };
      }
      return { status: Status.SUCCESS, body: encodeQueryInfoResponse(sd) };
    }
    default:
      return { status: Status.NOT_SUPPORTED };
  }
}
