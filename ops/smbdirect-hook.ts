/**
 * Where `serve` picks up the SMB Direct transport. The smbdirect/ module is expected to
 * export `createSmbDirectListener(options)` returning a TransportListener; until it does
 * (or when the machine has no RDMA device), spliced serves TCP only and says why.
 */
import type { PageCache } from '../cache/index.js';
import type { Logger } from '../server/log.js';
import type { TransportListener } from '../server/transport.js';
import type { ConnectionLimits } from '../server/options.js';

/** The [MS-SMBD] 3.1.1.1 tunables the `smb direct *` keys set (smbdirect/constants.ts SmbdLimits names them alike). */
export interface SmbDirectProtocolLimits {
  /** ReceiveCreditMax: receives kept posted per connection, and the credits asked of the peer. */
  receiveCreditMax: number;
  /** SendCreditTarget: send credits asked for. */
  sendCreditTarget: number;
  /** MaxSendSize: largest single message sent (lowered to the peer's MaxReceiveSize). */
  maxSendSize: number;
  /** MaxReceiveSize: the size of each posted receive. */
  maxReceiveSize: number;
  /** MaxFragmentedSize: largest reassembled message accepted. */
  maxFragmentedSize: number;
  /** KeepaliveInterval: idle time before a keep-alive asks the peer for a response, ms. */
  keepaliveMs: number;
  /** Time without any message after a keep-alive before the connection ends, ms. */
  idleTimeoutMs: number;
}

export interface SmbDirectListenerOptions {
  /** rdma_cm port to listen on ([MS-SMBD]: 5445 for iWARP, 445 for IB/RoCE). */
  port: number;
  /** Local addresses to bind (the config's bind addresses). */
  addresses: string[];
  /** MaxReadWriteSize to offer in the SMB Direct negotiate response. */
  maxIoSize: number;
  /** The `smb direct *` keys; each one left out keeps the field default (smbdirect/constants.ts). */
  limits?: Partial<SmbDirectProtocolLimits>;
  /** Largest message before the SMB2 session authenticates (`max preauth frame size`). */
  maxPreauthMessageBytes?: number;
  /** `rdma zero copy = no`: every READ goes through registered bounce buffers (for benchmarks). Default true. */
  zeroCopy?: boolean;
  /** Slabs of this cache are registered as memory regions for RDMA WRITE from cache pages. */
  cache?: PageCache;
  metrics: { rdmaWrite(bytes: number): void; rdmaRead(bytes: number): void; creditStall(): void; protocolError(kind: 'smbdirect'): void; limitHit?(limit: string): void };
  /**
   * `max connections` / `max connections per address`: connect requests beyond them are
   * rejected before any QP or buffer is set up (a negotiating connection holds both).
   */
  connectionLimits?: ConnectionLimits;
  log: Logger;
}

export type SmbDirectListenerFactory = (options: SmbDirectListenerOptions) => TransportListener;

/** The factory, or a one-line reason why SMB Direct is unavailable. */
export async function loadSmbDirectListener(): Promise<SmbDirectListenerFactory | string> {
  const moduleUrl = new URL('../smbdirect/listener.js', import.meta.url).href;
  try {
    const mod = (await import(moduleUrl)) as { createSmbDirectListener?: unknown };
    if (typeof mod.createSmbDirectListener === 'function') return mod.createSmbDirectListener as SmbDirectListenerFactory;
    return 'smbdirect/listener does not export createSmbDirectListener';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes('smbdirect/listener')) {
      return 'SMB Direct is not built yet in this version of spliced';
    }
    return `SMB Direct is not available: ${(err as Error).message.split('\n')[0]}`;
  }
}
