import { Fsctl, IoctlFlag, Dialect } from '../../smb2/constants.js';
import { decodeIoctlRequest, encodeIoctlResponse, type IoctlRequest } from '../../smb2/commands/ioctl.js';
import {
  decodeValidateNegotiateInfoRequest, encodeNetworkInterfaceInfo, encodeValidateNegotiateInfoResponse,
} from '../../smb2/commands/fsctl.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, SessionContext } from '../handler.js';
import { requireCreditCharge } from './credit-charge.js';
import { findOpen } from '../open-files.js';
import { pipeOf, transceivePipe } from '../pipes/pipe-smb.js';

/**
 * FSCTL_VALIDATE_NEGOTIATE_INFO, [MS-SMB2] 3.3.5.15.12: the client's view of NEGOTIATE must match
 * ours, or someone tampered with it and the connection is closed.
 */
function validateNegotiate(ctx: SessionContext, req: IoctlRequest): HandlerResult {
  const n = ctx.conn.negotiated!;
  const { capabilities, guid, securityMode, dialects } = decodeValidateNegotiateInfoRequest(req.input);
  const matches =
    capabilities === n.clientCapabilities && guid.equals(n.clientGuid) && securityMode === n.clientSecurityMode &&
    dialects.length === n.clientDialects.length && dialects.every((d, i) => d === n.clientDialects[i]);
  if (!matches || ctx.conn.dialect === Dialect.SMB3_1_1) return { status: Status.ACCESS_DENIED, reply: { disconnect: true } };
  const output = encodeValidateNegotiateInfoResponse({
    capabilities: n.serverCapabilities, guid: ctx.core.serverGuid, securityMode: n.serverSecurityMode, dialect: n.dialect,
  });
  return {
    status: Status.SUCCESS,
    body: encodeIoctlResponse({ ctlCode: req.ctlCode, fileId: req.fileId, flags: 0, output }),
    reply: { sign: 'always' },
  };
}

/** IOCTL, [MS-SMB2] 3.3.5.15: the two FSCTLs clients need; anything else is not supported. */
export async function ioctl(ctx: SessionContext): Promise<HandlerResult> {
  const req = decodeIoctlRequest(ctx.reader);
  requireCreditCharge(ctx, Math.max(req.input.length, req.maxOutputResponse, req.maxInputResponse));
  if (!(req.flags & IoctlFlag.IS_FSCTL)) return { status: Status.NOT_SUPPORTED };
  if (req.ctlCode === Fsctl.VALIDATE_NEGOTIATE_INFO) return validateNegotiate(ctx, req);
  if (req.ctlCode === Fsctl.PIPE_TRANSCEIVE) {
    const open = findOpen(ctx, req.fileId);
    const pipe = pipeOf(open);
    return pipe ? transceivePipe(pipe, req) : { status: Status.INVALID_DEVICE_REQUEST };
  }
  if (req.ctlCode === Fsctl.QUERY_NETWORK_INTERFACE_INFO) {
    const output = encodeNetworkInterfaceInfo(ctx.core.options.interfaces);
    if (output.length === 0) return { status: Status.NOT_SUPPORTED };
    if (output.length > req.maxOutputResponse) return { status: Status.BUFFER_TOO_SMALL };
    return { status: Status.SUCCESS, body: encodeIoctlResponse({ ctlCode: req.ctlCode, fileId: req.fileId, flags: 0, output }) };
  }
  return { status: Status.NOT_SUPPORTED };
}
