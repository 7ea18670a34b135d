// Wire constants and defaults of SMB Direct 1.0 ([MS-SMBD]).

/** The only protocol version, [MS-SMBD] 2.2.1 / 2.2.2. */
export const SMBD_VERSION = 0x0100;

/** Message sizes, [MS-SMBD] 2.2.1 (request), 2.2.2 (response), 2.2.3 (data transfer header). */
export const NEGOTIATE_REQUEST_SIZE = 20;
export const NEGOTIATE_RESPONSE_SIZE = 32;
export const DATA_HEADER_SIZE = 20;
/** DataOffset used when a data message carries data: the 20-byte header padded to 8 ([MS-SMBD] 2.2.3). */
export const DATA_OFFSET = 24;

/** Data transfer Flags, [MS-SMBD] 2.2.3. */
export const DataFlag = { RESPONSE_REQUESTED: 0x0001 } as const;

/** Lower bounds a peer's negotiate values must meet, [MS-SMBD] 3.1.5.6 / 3.1.5.7. */
export const MIN_RECEIVE_SIZE = 128;
export const MIN_FRAGMENTED_SIZE = 131072;

/** NTSTATUS values the negotiate response carries, [MS-SMBD] 2.2.2. */
export const SmbdStatus = { SUCCESS: 0, NOT_SUPPORTED: 0xc00000bb } as const;

/** Tunables of one SMB Direct endpoint, [MS-SMBD] 3.1.1.1 (defaults as Windows, ksmbd and cifs ship them). */
export interface SmbdLimits {
  /** Credits we ask the peer for and the receives we keep posted (ReceiveCreditMax). */
  receiveCreditMax: number;
  /** Send credits we ask for (SendCreditTarget). */
  sendCreditTarget: number;
  /** Largest message we send (MaxSendSize), before the peer's MaxReceiveSize lowers it. */
  maxSendSize: number;
  /** Size of each posted receive (MaxReceiveSize). */
  maxReceiveSize: number;
  /** Largest reassembled upper-layer message we accept (MaxFragmentedReceiveSize). */
  maxFragmentedSize: number;
  /** Largest RDMA READ/WRITE one SMB2 READ/WRITE may ask for (MaxReadWriteSize). */
  maxReadWriteSize: number;
  /** Idle time before a keep-alive with RESPONSE_REQUESTED goes out (KeepaliveInterval). */
  keepaliveMs: number;
  /** Time to wait for any message after a keep-alive before the connection is dropped. */
  idleTimeoutMs: number;
  /** Time the server waits for the negotiate request, and the client for its response. */
  negotiateTimeoutMs: number;
}

export const DEFAULT_LIMITS: SmbdLimits = {
  receiveCreditMax: 255,
  sendCreditTarget: 255,
  maxSendSize: 1364,
  maxReceiveSize: 1364,
  maxFragmentedSize: 1024 * 1024,
  maxReadWriteSize: 8 * 1024 * 1024,
  keepaliveMs: 120_000,
  idleTimeoutMs: 120_000,
  negotiateTimeoutMs: 5_000,
};

/**
 * What an operator may set each tunable to (`smb direct *` keys in ops/config-keys.ts).
 * Lower bounds are the protocol's; upper bounds keep registered (pinned) memory sane: every
 * connection pins (ReceiveCreditMax + 1) receives of MaxReceiveSize, and the send pool
 * holds 256 units of MaxSendSize per connection.
 */
export const LIMIT_RANGES = {
  /**
   * [MS-SMBD] 3.1.5.6 / 3.1.5.7: a peer ends the connection when MaxReceiveSize is below 128,
   * so no endpoint may need less; a message must also hold the 24-byte data header (2.2.3).
   * 8192 is the largest any implementation in the field uses (Windows' MaxReceiveSize).
   */
  maxSendSize: { min: MIN_RECEIVE_SIZE, max: 8192 },
  maxReceiveSize: { min: MIN_RECEIVE_SIZE, max: 8192 },
  /** [MS-SMBD] 3.1.5.6 / 3.1.5.7: at least 131072. Above 16 MiB it outgrows any SMB2 message the server accepts. */
  maxFragmentedSize: { min: MIN_FRAGMENTED_SIZE, max: 16 * 1024 * 1024 },
  /** [MS-SMBD] 3.1.5.6 / 3.1.5.8: CreditsRequested must be at least 1. The device's receive queue bounds the top. */
  receiveCreditMax: { min: 1, max: 2048 },
  /** [MS-SMBD] 2.2.1 / 2.2.3: CreditsRequested is a 16-bit field and must be at least 1. */
  sendCreditTarget: { min: 1, max: 0xffff },
  /** KeepaliveInterval ([MS-SMBD] 3.1.1.1, 3.1.6.2), seconds; 120 in the field. */
  keepaliveSeconds: { min: 1, max: 3600 },
  /** Time without any message after a keep-alive before the connection ends, seconds. */
  idleTimeoutSeconds: { min: 1, max: 3600 },
  /** (ReceiveCreditMax + 1) x MaxReceiveSize, the receive memory one connection pins; Windows' 255 x 8192 fits. */
  pinnedReceiveBytes: { min: 0, max: 2 * 1024 * 1024 },
} as const;

/** Receive memory one connection keeps registered and posted: ReceiveCreditMax receives plus the sentinel (credits.ts). */
export function pinnedReceiveBytes(l: Pick<SmbdLimits, 'receiveCreditMax' | 'maxReceiveSize'>): number {
  return (l.receiveCreditMax + 1) * l.maxReceiveSize;
}

/** Most SMB2_BUFFER_DESC_V1 entries one READ/WRITE may carry; more is refused as hostile. */
export const MAX_DESCRIPTORS = 64;
