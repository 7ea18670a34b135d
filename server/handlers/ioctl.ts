import { isIP } from 'node:net';
import { Reader, Writer } from '../../wire/index.js';
import { Fsctl, InterfaceCapability, IoctlFlag, Dialect } from '../../smb2/constants.js';
import { decodeIoctlRequest, encodeIoctlResponse, type IoctlRequest } from '../../smb2/commands/ioctl.js';
import { Status } from '../../smb2/status.js';
import type { HandlerResult, SessionContext } from '../handler.js';
import type { InterfaceConfig } from '../options.js';
import { requireCreditCharge } from './credit-charge.js';
import { findOpen } from '../open-files.js';
import { pipeOf, transceivePipe } from '../pipes/pipe-smb.js';

/** AF_INET / AF_INET6 as SOCKADDR_STORAGE carries them, [MS-SMB2] 2.2.32.5.1. */
const AF_INET = 0x0002;
const AF_INET6 = 0x0017;
const SOCKADDR_STORAGE_SIZE = 128;

function writeSockaddr(w: Writer, address: string): void {
  const start = w.length;
  if (isIP(address) === 6) {
    w.u16(AF_INET6).u16(0).u32(0);
    const groups = expandIpv6(address);
    for (const g of groups) w.u8(g >> 8).u8(g & 0xff);
    w.u32(0);
  } else {
    w.u16(AF_INET).u16(0);
    for (const octet of address.split('.')) w.u8(Number(octet) & 0xff);
    w.zeros(8);
  }
  w.zeros(SOCKADDR_STORAGE_SIZE - (w.length - start));
}

function expandIpv6(address: string): number[] {
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16) || 0);
}

/** NETWORK_INTERFACE_INFO entries, [MS-SMB2] 2.2.32.5, chained by Next (152 bytes each). */
export function encodeInterfaceList(interfaces: InterfaceConfig[]): Buffer {
  const w = new Writer(0, 152 * Math.max(1, interfaces.length));
  interfaces.forEach((ifc, i) => {
    const capability = (ifc.rdmaCapable ? InterfaceCapability.RDMA_CAPABLE : 0) | (ifc.rssCapable ? InterfaceCapability.RSS_CAPABLE : 0);
    w.u32(i < interfaces.length - 1 ? 152 : 0).u32(i + 1).u32(capability).u32(0).u64(BigInt(Math.round(ifc.speed)));
    writeSockaddr(w, ifc.address);
  });
  return Buffer.from(w.finish());
}

/**
 * FSCTL_VALIDATE_NEGOTIATE_INFO, [MS-SMB2] 3.3.5.15.12: the client's view of NEGOTIATE must match
 * ours, or someone tampered with it and the connection is closed.
 */
function validateNegotiate(ctx: SessionContext, req: IoctlRequest): HandlerResult {
  const n = ctx.conn.negotiated!;
  const r = new Reader(req.input);
  const capabilities = r.u32();
  const guid = r.bytes(16);
  const securityMode = r.u16();
  const count = r.u16();
  const dialects: number[] = [];
  for (let i = 0; i < count; i++) dialects.push(r.u16());
  const matches =
    capabilities === n.clientCapabilities && guid.equals(n.clientGuid) && securityMode === n.clientSecurityMode &&
    dialects.length === n.clientDialects.length && dialects.every((d, i) => d === n.clientDialects[i]);
  if (!matches || ctx.conn.dialect === Dialect.SMB3_1_1) return { status: Status.ACCESS_DENIED, reply: { disconnect: true } };
  const out = new Writer(0, 24).u32(n.serverCapabilities).bytes(ctx.core.serverGuid).u16(n.serverSecurityMode).u16(n.dialect);
  return {
    status: Status.SUCCESS,
    body: encodeIoctlResponse({ ctlCode: req.ctlCode, fileId: req.fileId, flags: 0, output: Buffer.from(out.finish()) }),
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
    const output = encodeInterfaceList(ctx.core.options.interfaces);
    if (output.length === 0) return { status: Status.NOT_SUPPORTED };
    if (output.length > req.maxOutputResponse) return { status: Status.BUFFER_TOO_SMALL };
    return { status: Status.SUCCESS, body: encodeIoctlResponse({ ctlCode: req.ctlCode, fileId: req.fileId, flags: 0, output }) };
  }
  return { status: Status.NOT_SUPPORTED };
}
