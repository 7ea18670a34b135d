import type { TransportKind } from './telemetry.js';
import type { BufferDescriptor } from '../smb2/commands/buffer-desc.js';
import type { FillTarget, PayloadData } from './file-io.js';
import type { ReceivedMessage } from './message-pieces.js';

/**
 * One connection's transport, implemented by direct TCP and by SMB Direct
 * (like ksmbd's transport ops). It delivers whole SMB2 messages and sends
 * responses as gather lists; file data is never concatenated by the core.
 */
export interface Transport {
  readonly kind: TransportKind;
  /** "tcp 127.0.0.1:51234", for logs and status. */
  readonly peer: string;
  /** Largest message the transport accepts from the peer (for credit/size checks). */
  readonly maxMessageBytes: number;
  /** Largest message it can send (direct TCP: the 24-bit frame length); absent = no transport limit. */
  readonly maxSendBytes?: number;
  /** Peer IP address, for the per-address connection limit. */
  readonly remoteAddress?: string;
  /** Accept frames up to this size from now on (raised once the client has authenticated). */
  setMaxMessageBytes?(bytes: number): void;
  /** Bytes received and held for a frame that is not complete yet. */
  bufferedBytes?(): number;
  /** Called once per received SMB2/SMB1 message (without transport framing), whole or as the pieces it arrived in. */
  onMessage(handler: (message: ReceivedMessage) => void): void;
  /** Called once when the connection is gone (peer close, error, or disconnect()). */
  onClose(handler: (reason?: Error) => void): void;
  /**
   * Send one transport message made of these parts, in order; resolves when handed to the kernel/NIC.
   * `invalidateToken` asks SMB Direct to send with remote invalidation of that memory token
   * (READ/WRITE with SMB2_CHANNEL_RDMA_V1_INVALIDATE, [MS-SMBD] 3.1.4.1); TCP ignores it.
   */
  send(parts: Buffer[], options?: SendOptions): Promise<void>;
  /**
   * RDMA WRITE the payload into the peer's registered buffers (READ with an RDMA channel); chunks
   * with a region go straight from their slab, the others through registered bounce buffers.
   * Resolves with the bytes written once every WRITE completed. Absent on TCP.
   */
  rdmaWrite?(descriptors: BufferDescriptor[], data: PayloadData): Promise<number>;
  /** RDMA READ from the peer's registered buffers (WRITE with an RDMA channel). Absent on TCP. */
  rdmaRead?(descriptors: BufferDescriptor[], length: number): Promise<Buffer>;
  /**
   * RDMA READ into these targets, in order: targets with a region (registered cache pages) are
   * written by the device itself, the others through bounce buffers and copied in afterwards.
   * Resolves with the bytes placed without a copy. Absent on TCP.
   */
  rdmaReadInto?(descriptors: BufferDescriptor[], targets: FillTarget[]): Promise<number>;
  /**
   * `rdma zero copy = no`: rdmaWrite copies every READ's data into bounce buffers, so the send
   * stage counts those bytes as copied (reason `forced`) whatever the cache handed out.
   */
  readonly copiesReadData?: boolean;
  /** Stop reading; pending receive handlers are not called any more. */
  pause?(): void;
  resume?(): void;
  disconnect(): void;
}

export interface SendOptions {
  invalidateToken?: number;
}

/** Accepts connections of one kind; SmbServer owns the listeners. */
export interface TransportListener {
  readonly kind: TransportKind;
  listen(onConnection: (t: Transport) => void): Promise<{ port: number }>;
  close(): Promise<void>;
}
