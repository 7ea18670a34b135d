import type { Lease } from './types.js';

/**
 * GlobalLeaseTableList, [MS-SMB2] 3.3.1.4: one LeaseTable per ClientGuid, each a map from
 * LeaseKey to Lease. A lease lives while an open holds it; a client holds at most `maxPerClient`.
 */
export class LeaseTable {
  private readonly byClient = new Map<string, Map<string, Lease>>();

  find(clientGuid: string, key: Buffer): Lease | undefined {
    return this.byClient.get(clientGuid)?.get(key.toString('hex'));
  }

  /** A new lease, or undefined when the client holds as many as it may. */
  add(lease: Lease, maxPerClient: number): Lease | undefined {
    let table = this.byClient.get(lease.clientGuid);
    if (!table) {
      table = new Map();
      this.byClient.set(lease.clientGuid, table);
    }
    if (table.size >= maxPerClient) return undefined;
    table.set(lease.key.toString('hex'), lease);
    return lease;
  }

  remove(lease: Lease): void {
    const table = this.byClient.get(lease.clientGuid);
    const hex = lease.key.toString('hex');
    if (table?.get(hex) !== lease) return;
    table.delete(hex);
    if (table.size === 0) this.byClient.delete(lease.clientGuid);
  }

  /** Leases held by one client (tests, accounting). */
  countFor(clientGuid: string): number {
    return this.byClient.get(clientGuid)?.size ?? 0;
  }
}
