import { Reader, Writer } from '../../wire/index.js';
import { Command, HEADER_SIZE, RequestStructureSize, ResponseStructureSize } from '../constants.js';

/** TREE_CONNECT request, [MS-SMB2] 2.2.9: the UNC path \\server\share. */
export interface TreeConnectRequest {
  flags: number;
  path: string;
}

/** TREE_CONNECT response, [MS-SMB2] 2.2.10. */
export interface TreeConnectResponse {
  shareType: number;
  shareFlags: number;
  capabilities: number;
  maximalAccess: number;
}

export function decodeTreeConnectRequest(r: Reader): TreeConnectRequest {
  r.u16();
  const flags = r.u16();
  const offset = r.u16();
  const length = r.u16();
  return { flags, path: new Reader(r.slice(offset, length)).utf16(length) };
}

export function encodeTreeConnectResponse(m: TreeConnectResponse): Buffer {
  const w = new Writer(HEADER_SIZE, 16);
  w.u16(ResponseStructureSize[Command.TREE_CONNECT]).u8(m.shareType).u8(0).u32(m.shareFlags).u32(m.capabilities).u32(m.maximalAccess);
  return w.finish();
}

export function encodeTreeConnectRequest(m: TreeConnectRequest): Buffer {
  const path = Buffer.from(m.path, 'utf16le');
  const w = new Writer(HEADER_SIZE);
  w.u16(RequestStructureSize[Command.TREE_CONNECT]).u16(m.flags);
  const pathOffset = w.reserveU16();
  w.u16(path.length).fillOffsetU16(pathOffset).bytes(path.length ? path : Buffer.alloc(1));
  return w.finish();
}
