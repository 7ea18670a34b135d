import type { Open } from '../state.js';
import type { ServerLimits } from '../options.js';

/** Closes an open that no connection holds (open-files.ts releaseOpen). */
export type CloseDetached = (open: Open) => Promise<void>;

type DurableLimits = Pick<ServerLimits, 'maxDisconnectedDurableOpens'>;

/**
 * Durable opens of the server ([MS-SMB2] 3.3.1.5 GlobalOpenTable, as far as durable handles need
 * it): the v2 opens by (ClientGuid, CreateGuid) for replay detection (3.3.5.9.10), and the
 * disconnected ones by FileId.Persistent, each with its durable-open timer (3.3.2.2). A
 * disconnected open keeps its descriptor, FileIo, share mode, byte-range locks and oplock or
 * lease; the timer, a break aimed at it, or server shutdown closes it for good.
 */
export class DurableTable {
  private readonly disconnected = new Map<bigint, Open>();
  private readonly byCreateGuid = new Map<string, Open>();
  private shuttingDown = false;

  constructor(private readonly limits: () => DurableLimits) {}

  private static replayKey(clientGuid: string, createGuid: Buffer): string {
    return `${clientGuid}:${createGuid.toString('hex')}`;
  }

  /** A durable open was granted: a v2 one becomes findable by its CreateGuid. */
  granted(open: Open): void {
    const d = open.durable;
    if (d?.version === 2) this.byCreateGuid.set(DurableTable.replayKey(d.clientGuid, d.createGuid), open);
  }

  /** The replay-eligible open a DH2Q names, [MS-SMB2] 3.3.5.9.10. */
  findReplay(clientGuid: string, createGuid: Buffer): Open | undefined {
    return this.byCreateGuid.get(DurableTable.replayKey(clientGuid, createGuid));
  }

  /**
   * Keep `open` after its connection or session ended ([MS-SMB2] 3.3.7.1, 3.3.5.6): false when it
   * may not be kept (not durable, delete pending, too many kept already, shutting down), and the
   * caller closes it. A break sent to a kept open cannot be acknowledged: it closes the open
   * instead (as Samba does), which settles the break for the opener waiting on it; `forward`
   * passes a lease break on to a connected open that shares the lease, whose client can answer.
   */
  preserve(open: Open, deletePending: boolean, close: CloseDetached, forward: (message: Buffer) => void = () => {}): boolean {
    const d = open.durable;
    if (!d || d.disconnected || deletePending || this.shuttingDown) return false;
    if (this.disconnected.size >= this.limits().maxDisconnectedDurableOpens) return false;
    const purge = () => {
      if (this.disconnected.get(open.fileId.persistent) !== open) return;
      this.forget(open);
      void close(open).catch(() => {});
    };
    d.disconnected = setTimeout(purge, d.timeoutMs).unref();
    this.disconnected.set(open.fileId.persistent, open);
    if (open.oplock) {
      open.oplock.notify = (message) => {
        forward(message);
        queueMicrotask(purge);
      };
    }
    return true;
  }

  /** The disconnected open a DHnC/DH2C names by FileId.Persistent, [MS-SMB2] 3.3.5.9.7/3.3.5.9.12. */
  findDisconnected(persistent: bigint): Open | undefined {
    return this.disconnected.get(persistent);
  }

  /** A reconnect took the open: it has a connection again and no timer. */
  reattach(open: Open): void {
    const d = open.durable;
    if (!d?.disconnected) return;
    clearTimeout(d.disconnected);
    d.disconnected = undefined;
    this.disconnected.delete(open.fileId.persistent);
  }

  /** The open is closed for good (CLOSE, TREE_DISCONNECT, timer, break, shutdown). */
  forget(open: Open): void {
    const d = open.durable;
    if (!d) return;
    if (d.disconnected) clearTimeout(d.disconnected);
    d.disconnected = undefined;
    if (this.disconnected.get(open.fileId.persistent) === open) this.disconnected.delete(open.fileId.persistent);
    const key = DurableTable.replayKey(d.clientGuid, d.createGuid);
    if (this.byCreateGuid.get(key) === open) this.byCreateGuid.delete(key);
  }

  /** The ClientGuid of an open changed (a reconnect from another client): its replay key follows. */
  rekey(open: Open, clientGuid: string): void {
    const d = open.durable;
    if (!d || d.clientGuid === clientGuid) return;
    const key = DurableTable.replayKey(d.clientGuid, d.createGuid);
    if (this.byCreateGuid.get(key) === open) this.byCreateGuid.delete(key);
    d.clientGuid = clientGuid;
    this.granted(open);
  }

  /** Disconnected opens (rename and directory bookkeeping see them as open). */
  disconnectedOpens(): IterableIterator<Open> {
    return this.disconnected.values();
  }

  get disconnectedCount(): number {
    return this.disconnected.size;
  }

  /** Server shutdown: nothing is kept any more, and every kept open is closed. */
  async closeAll(close: CloseDetached): Promise<void> {
    this.shuttingDown = true;
    const opens = [...this.disconnected.values()];
    for (const open of opens) this.forget(open);
    await Promise.all(opens.map((o) => close(o).catch(() => {})));
  }
}
