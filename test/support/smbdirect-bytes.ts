// SMB Direct messages spelled out field by field ([MS-SMBD] 2.2.1-2.2.3) for golden tests
// and hostile peers; shares no code with smbdirect/messages.ts.
import { cat, le16, le32, zeros } from './bytes.js';

export interface NegotiateRequestFields {
  minVersion?: number;
  maxVersion?: number;
  creditsRequested?: number;
  preferredSendSize?: number;
  maxReceiveSize?: number;
  maxFragmentedSize?: number;
}

export function negotiateRequestBytes(f: NegotiateRequestFields = {}): Buffer {
  return cat(
    le16(f.minVersion ?? 0x0100), le16(f.maxVersion ?? 0x0100), le16(0), le16(f.creditsRequested ?? 255),
    le32(f.preferredSendSize ?? 1364), le32(f.maxReceiveSize ?? 1364), le32(f.maxFragmentedSize ?? 1048576),
  );
}

export interface DataMessageFields {
  creditsRequested?: number;
  creditsGranted?: number;
  flags?: number;
  remainingDataLength?: number;
  /** Default 24 when there is data, 0 otherwise. */
  dataOffset?: number;
  /** Default data.length. */
  dataLength?: number;
  data?: Buffer;
}

/** Header, padding up to DataOffset, then the data. */
export function dataMessageBytes(f: DataMessageFields = {}): Buffer {
  const data = f.data ?? Buffer.alloc(0);
  const dataOffset = f.dataOffset ?? (data.length ? 24 : 0);
  const header = cat(
    le16(f.creditsRequested ?? 255), le16(f.creditsGranted ?? 0), le16(f.flags ?? 0), le16(0),
    le32(f.remainingDataLength ?? 0), le32(dataOffset), le32(f.dataLength ?? data.length),
  );
  if (!data.length) return header;
  return cat(header, zeros(Math.max(0, dataOffset - header.length)), data);
}
