import { Reader, Writer } from '../../wire/index.js';

/** SMB2_CREATE_QUERY_MAXIMAL_ACCESS_RESPONSE data, [MS-SMB2] 2.2.14.2.5. */
export interface MaximalAccessResponse {
  queryStatus: number;
  maximalAccess: number;
}

/** SMB2_CREATE_QUERY_ON_DISK_ID response data, [MS-SMB2] 2.2.14.2.9. */
export interface OnDiskIdResponse {
  diskFileId: bigint;
  volumeId: bigint;
}

export function encodeMaximalAccessResponse(m: MaximalAccessResponse): Buffer {
  return new Writer(0, 8).u32(m.queryStatus).u32(m.maximalAccess).finish();
}

export function decodeMaximalAccessResponse(data: Buffer): MaximalAccessResponse {
  const r = new Reader(data);
  return { queryStatus: r.u32(), maximalAccess: r.u32() };
}

/** DiskFileId, VolumeId, then 16 reserved bytes. */
export function encodeOnDiskIdResponse(m: OnDiskIdResponse): Buffer {
  return new Writer(0, 32).u64(m.diskFileId).u64(m.volumeId).zeros(16).finish();
}

export function decodeOnDiskIdResponse(data: Buffer): OnDiskIdResponse {
  const r = new Reader(data);
  const diskFileId = r.u64();
  const volumeId = r.u64();
  r.skip(16);
  return { diskFileId, volumeId };
}
