// CHANGE_NOTIFY bytes spelled out from [MS-SMB2] 2.2.35 and [MS-FSCC] 2.7.1 with bytes.ts,
// independently of smb2/commands/change-notify.ts (the codec under test).
import { cat, le16, le32, le64, utf16, zeros } from './bytes.js';

/** A CHANGE_NOTIFY request body, [MS-SMB2] 2.2.35 (StructureSize 32). */
export function changeNotifyBody(o: { flags?: number; outputBufferLength: number; persistent: bigint; volatile: bigint; filter: number }): Buffer {
  return cat(le16(32), le16(o.flags ?? 0), le32(o.outputBufferLength), le64(o.persistent), le64(o.volatile), le32(o.filter), le32(0));
}

/** FILE_NOTIFY_INFORMATION entries, [MS-FSCC] 2.7.1: each but the last padded to 4 bytes. */
export function notifyInformation(entries: Array<[action: number, name: string]>): Buffer {
  return cat(
    ...entries.map(([action, name], i) => {
      const n = utf16(name);
      const last = i === entries.length - 1;
      const size = 12 + n.length;
      const padded = (size + 3) & ~3;
      return cat(le32(last ? 0 : padded), le32(action), le32(n.length), n, last ? zeros(0) : zeros(padded - size));
    }),
  );
}

/** The OutputBuffer of a CHANGE_NOTIFY response, [MS-SMB2] 2.2.36: StructureSize 9, OutputBufferOffset, OutputBufferLength. */
export function changeNotifyOutput(body: Buffer, message: Buffer): Buffer {
  const offset = body.readUInt16LE(2);
  const length = body.readUInt32LE(4);
  return message.subarray(offset, offset + length);
}
