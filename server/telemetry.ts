/**
 * What the SMB core reports about itself. ops/ implements it with prom-client;
 * the core depends only on this interface (and `noTelemetry` in tests).
 */
export type TransportKind = 'tcp' | 'rdma';
export type DataPath = 'zerocopy' | 'copy';

export interface Telemetry {
  /** One SMB2 request finished: command name (e.g. 'READ'), wall seconds, NTSTATUS answered. */
  request(command: string, seconds: number, status: number): void;
  /**
   * Bytes of file data sent in one READ response. With `copied` (bytes copied, by reason) the
   * rest of `bytes` was zero-copy, whatever `path` says; without it every byte follows `path`.
   */
  readBytes(transport: TransportKind, path: DataPath, bytes: number, copied?: Readonly<Record<string, number>>): void;
  /**
   * Bytes of file data received in one WRITE. `placedBytes` of them the transport put straight
   * into the cache pages that hold them (SMB Direct RDMA READ into fresh pages); the rest was copied.
   */
  writeBytes(transport: TransportKind, bytes: number, placedBytes?: number): void;
  connectionOpened(transport: TransportKind): void;
  connectionClosed(transport: TransportKind): void;
  sessionOpened(): void;
  sessionClosed(): void;
  fileOpened(): void;
  fileClosed(): void;
  /** A malformed or refused PDU; `kind` is a small fixed set (e.g. 'framing', 'decode', 'signature', 'auth'). */
  protocolError(kind: string): void;
  /** A configured limit refused or delayed something; `limit` is a small fixed set (e.g. 'connections', 'frame_timeout'). */
  limitHit?(limit: string): void;
}

export const noTelemetry: Telemetry = {
  request() {},
  readBytes() {},
  writeBytes() {},
  connectionOpened() {},
  connectionClosed() {},
  sessionOpened() {},
  sessionClosed() {},
  fileOpened() {},
  fileClosed() {},
  protocolError() {},
  limitHit() {},
};
