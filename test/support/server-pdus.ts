/** Hand-built PDUs for server tests, spelled out with the independent byte builder. */
import { cat, le16, le32, le64, zeros } from './bytes.js';

/** An SMB1 NEGOTIATE, [MS-CIFS] 2.2.4.52.1, as old clients open with. */
export function smb1NegotiateMessage(dialects: string[]): Buffer {
  const names = Buffer.concat(dialects.map((d) => Buffer.concat([Buffer.from([0x02]), Buffer.from(d, 'latin1'), Buffer.from([0])])));
  return cat(
    [0xff, 0x53, 0x4d, 0x42, 0x72], // protocol, SMB_COM_NEGOTIATE
    zeros(4), // status
    [0x18], le16(0xc853), // flags, flags2
    zeros(12), // pid high, security features, reserved
    le16(0xffff), le16(0xfeff), le16(0), le16(0), // tid, pid, uid, mid
    [0], le16(names.length), names,
  );
}

/** A sync SMB2 request header, [MS-SMB2] 2.2.1.2. */
export function smb2Header(o: { command: number; messageId: bigint | number; creditCharge?: number; credits?: number; flags?: number; treeId?: number; sessionId?: bigint; nextCommand?: number }): Buffer {
  return cat(
    [0xfe, 0x53, 0x4d, 0x42], le16(64), le16(o.creditCharge ?? 1), le32(0), le16(o.command), le16(o.credits ?? 1),
    le32(o.flags ?? 0), le32(o.nextCommand ?? 0), le64(o.messageId), le32(0), le32(o.treeId ?? 0), le64(o.sessionId ?? 0n), zeros(16),
  );
}

/** An SMB 2.1/3.0 NEGOTIATE body offering 2.0.2 .. 3.0.2 (no contexts). */
export function negotiateBody(dialects = [0x0202, 0x0210, 0x0300, 0x0302]): Buffer {
  return cat(le16(36), le16(dialects.length), le16(1), le16(0), le32(0), zeros(16), zeros(8), ...dialects.map(le16));
}

/**
 * A WRITE request, [MS-SMB2] 2.2.21, spelled out: header, 48 fixed bytes, the data at DataOffset
 * (112 unless told: right after the fixed part; padding fills the gap).
 */
export function writeRequestPdu(
  data: Buffer,
  o: { flags?: number; nextCommand?: number; channel?: number; dataOffset?: number; messageId?: bigint | number; sessionId?: bigint; treeId?: number; fileId?: Buffer } = {},
): Buffer {
  const dataOffset = o.dataOffset ?? 112;
  const body = cat(le16(49), le16(dataOffset), le32(data.length), le64(0n), o.fileId ?? Buffer.alloc(16, 1), le32(o.channel ?? 0), le32(0), le16(0), le16(0), le32(0));
  const header = smb2Header({ command: 9, messageId: o.messageId ?? 5, flags: o.flags, nextCommand: o.nextCommand, sessionId: o.sessionId, treeId: o.treeId });
  return cat(header, body, zeros(dataOffset - 112), data);
}
