/**
 * Durable-handle state of an open, [MS-SMB2] 3.3.1.10 (Open.IsDurable, DurableOpenTimeout,
 * DurableOwner, CreateGuid). Kept apart from the table (durable-table.ts) so that `Open`
 * (state.ts) can carry it without an import cycle.
 */
export interface DurableHandle {
  /** 1: granted through DHnQ; 2: through DH2Q. */
  version: 1 | 2;
  /** Open.CreateGuid (v2); zeros for a v1 open, which only a zero CreateGuid names in DH2C. */
  createGuid: Buffer;
  /** Open.DurableOpenTimeout: how long the open waits for a reconnect once disconnected. */
  timeoutMs: number;
  /** Open.DurableOwner: the user (domain\user) who may reclaim it. */
  owner: string;
  /** ClientGuid (hex) of the connection that holds or last held the open. */
  clientGuid: string;
  /** CreateAction of the CREATE that made the open: a replay of that CREATE answers it again. */
  createAction: number;
  /** Set while the open has no connection (Open.Connection = NULL): the durable-open timer. */
  disconnected?: NodeJS.Timeout;
}

/** The owner string sessions and durable opens are compared by. */
export function durableOwnerOf(session: { user: string; domain: string }): string {
  return `${session.domain.toLowerCase()}\\${session.user.toLowerCase()}`;
}
