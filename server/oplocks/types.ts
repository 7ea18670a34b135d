/**
 * Oplock and lease state, [MS-SMB2] 3.3.1.4 (Lease, LeaseTable) and 3.3.1.10 (Open.OplockLevel,
 * Open.OplockState, Open.Lease). Kept apart from the engine (oplock-table.ts) so that `Open`
 * (state.ts) can carry it without an import cycle.
 */

/** A break waiting for its acknowledgment: settles on the ack, on the timeout, or when its holder closes. */
export class PendingBreak {
  readonly settled: Promise<void>;
  private resolve!: () => void;
  private timer?: NodeJS.Timeout;
  done = false;

  constructor(timeoutMs: number, onTimeout: () => void) {
    this.settled = new Promise<void>((resolve) => (this.resolve = resolve));
    this.timer = setTimeout(() => {
      if (this.done) return;
      onTimeout();
      this.settle();
    }, timeoutMs);
    this.timer.unref();
  }

  settle(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.resolve();
  }
}

/** [MS-SMB2] 3.3.1.4 Lease: one per (ClientGuid, LeaseKey), shared by the opens that named that key. */
export interface Lease {
  readonly clientGuid: string;
  readonly key: Buffer;
  /** The file (device:inode) the lease is on; a key names one file only. */
  readonly fileKey: string;
  /** 1 or 2 (SMB2_CREATE_REQUEST_LEASE_V2, 3.x only). */
  version: 1 | 2;
  /** Lease.LeaseState: LeaseState bits. */
  state: number;
  /** Lease.Breaking: the acknowledgment awaited for the break notification last sent. */
  breaking?: PendingBreak;
  /** Lease.BreakToLeaseState: what that notification asked for (an ack may go lower, never higher). */
  breakTo: number;
  /**
   * What the conflicting operations need while the break is in progress; when an ack leaves more
   * than this, the next notification follows (through R first when H or W is still held).
   */
  breakToRequired: number;
  /** Lease.Epoch (v2). */
  epoch: number;
  /** Lease.ParentLeaseKey (v2), when the client set one. */
  parentKey?: Buffer;
  /** Opens that hold the lease (Lease.LeaseOpens, counted; the file table lists them). */
  opens: number;
}

/** Per-open oplock state: Open.OplockLevel, Open.OplockState, Open.Lease. */
export interface OpenOplock {
  /** OplockLevel: NONE, II, EXCLUSIVE, BATCH, or LEASE (then `lease` says the state). */
  level: number;
  /** Open.OplockState Breaking, with the level the break goes to. */
  breaking?: PendingBreak;
  breakTo: number;
  lease?: Lease;
  /** The connection's ClientGuid (hex), which with a lease key names a lease. */
  clientGuid: string;
  /** Sends a server-to-client notification on the open's connection (send.ts). */
  notify(message: Buffer): void;
}
