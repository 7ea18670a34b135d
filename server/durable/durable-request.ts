import { Dialect } from '../../smb2/constants.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import type { CreateRequest, FileId } from '../../smb2/commands/create.js';
import {
  DHANDLE_FLAG_PERSISTENT, DurableContextName, decodeDurableReconnect, decodeDurableReconnectV2, decodeDurableRequestV2,
} from '../../smb2/commands/durable-contexts.js';

/** A zero CreateGuid: what v1 opens carry, and what a DH2C for one must name. */
export const ZERO_GUID = Buffer.alloc(16);

/** What a CREATE asks of durable handles, from its DHnQ / DHnC / DH2Q / DH2C contexts. */
export type DurablePlan =
  | { kind: 'none' }
  | { kind: 'request'; version: 1 | 2; createGuid: Buffer; timeout: number; persistent: boolean }
  | { kind: 'reconnect'; version: 1 | 2; fileId: FileId; createGuid: Buffer };

/**
 * The durable contexts of a CREATE, [MS-SMB2] 3.3.5.9.6, 3.3.5.9.7, 3.3.5.9.10, 3.3.5.9.12: a v2
 * context beside any other durable context is INVALID_PARAMETER; DHnC wins over DHnQ; the v2
 * contexts are SMB 3.x only (ignored before).
 */
export function durablePlanOf(dialect: number, req: CreateRequest): DurablePlan {
  const data = (name: string) => req.contexts.find((c) => c.name === name)?.data;
  const v2 = dialect >= Dialect.SMB3_0;
  const dhnq = data(DurableContextName.REQUEST);
  const dhnc = data(DurableContextName.RECONNECT);
  const dh2q = v2 ? data(DurableContextName.REQUEST_V2) : undefined;
  const dh2c = v2 ? data(DurableContextName.RECONNECT_V2) : undefined;
  if ((dh2q || dh2c) && (dhnq || dhnc || (dh2q && dh2c))) throw new SmbStatusError(Status.INVALID_PARAMETER, 'conflicting durable contexts');
  if (dhnc) return { kind: 'reconnect', version: 1, fileId: decodeDurableReconnect(dhnc), createGuid: ZERO_GUID };
  if (dh2c) {
    const c = decodeDurableReconnectV2(dh2c);
    return { kind: 'reconnect', version: 2, fileId: c.fileId, createGuid: c.createGuid };
  }
  if (dh2q) {
    const q = decodeDurableRequestV2(dh2q);
    return { kind: 'request', version: 2, createGuid: q.createGuid, timeout: q.timeout, persistent: (q.flags & DHANDLE_FLAG_PERSISTENT) !== 0 };
  }
  if (dhnq) return { kind: 'request', version: 1, createGuid: ZERO_GUID, timeout: 0, persistent: false };
  return { kind: 'none' };
}
