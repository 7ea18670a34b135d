import type { UserDb } from '../auth/user-db.js';

/** One share section of the config ([MS-SMB2] share = a TREE_CONNECT target). */
export interface ShareConfig {
  /** Share name as clients type it (case-insensitive). */
  name: string;
  /** Absolute directory on the host served as the share root. */
  path: string;
  /** `read only = yes`: every modifying request gets STATUS_ACCESS_DENIED. */
  readOnly: boolean;
  /** `guest ok = yes`: anonymous and guest sessions may connect. */
  guestOk: boolean;
  /** `valid users`: when non-empty, only these users may connect. */
  validUsers: string[];
  browseable: boolean;
  comment: string;
}

/** A network interface advertised by FSCTL_QUERY_NETWORK_INTERFACE_INFO. */
export interface InterfaceConfig {
  /** IPv4/IPv6 address to advertise. */
  address: string;
  /** Link speed in bits per second. */
  speed: number;
  rdmaCapable: boolean;
  rssCapable: boolean;
}

export type SigningPolicy = 'disabled' | 'auto' | 'mandatory';

/** Samba's `map to guest`: 'bad user' turns a logon with an unknown user name into a guest session. */
export type GuestMapping = 'never' | 'bad user';

/** Everything the SMB core needs to run; produced by ops/config from smb.conf-style files or the embedded default. */
export interface ServerOptions {
  /** NetBIOS-ish server name used in NTLM challenges. */
  serverName: string;
  /** Domain/workgroup name. */
  workgroup: string;
  /** Addresses to listen on (TCP); default ['0.0.0.0']. */
  bindAddresses: string[];
  /** Direct-TCP port; 445 needs CAP_NET_BIND_SERVICE, so the default is 4450. */
  tcpPort: number;
  /** SMB Direct (rdma_cm) port; 0 disables SMB Direct. */
  rdmaPort: number;
  /** Lowest and highest dialect offered, e.g. 0x0202 and 0x0311. */
  minDialect: number;
  maxDialect: number;
  /** Signing is never required unless set to 'mandatory'. */
  signing: SigningPolicy;
  /** What a logon with an unknown user becomes: refused ('never') or a guest session ('bad user'). */
  mapToGuest: GuestMapping;
  /** MaxReadSize/MaxWriteSize/MaxTransactSize advertised in NEGOTIATE (bytes). */
  maxIoSize: number;
  /** Page cache limit in bytes. */
  cacheBytes: number;
  /**
   * `write cache = behind`: answer WRITEs once the data is in cache pages and write it back
   * later (lost if the process dies). Default false: every WRITE reaches the kernel first.
   */
  writeBehind?: boolean;
  shares: ShareConfig[];
  interfaces: InterfaceConfig[];
  users: UserDb;
  /** Per-connection limits. */
  limits: ServerLimits;
}

export interface ServerLimits {
  maxSessionsPerConnection: number;
  maxOpenFilesPerConnection: number;
  /** Largest direct-TCP frame accepted (header + body + payload) once a session is authenticated. */
  maxMessageBytes: number;
  /** Largest frame accepted before that (NEGOTIATE, SESSION_SETUP): what a client may make the server buffer unauthenticated. */
  maxPreauthMessageBytes: number;
  /** Most credits a client may hold. */
  maxCredits: number;
  /** Client connections served at once, over all transports; more are closed when accepted. */
  maxConnections: number;
  /** Client connections served at once from one IP address. */
  maxConnectionsPerAddress: number;
  /** Close a connection without open files that sent nothing for this long (Samba's `deadtime`); 0 never does. */
  idleTimeoutMs: number;
  /** A frame from the client, once started, must complete within this long, and a response must not stall this long; 0 = no limit. */
  frameTimeoutMs: number;
  /** Bytes of received requests being processed per connection (WRITE data included); beyond it the connection stops reading. */
  maxRequestBytesPerConnection: number;
  /** READ data admitted and not yet sent, per connection (pinned cache pages or copies); more READs wait. */
  maxReadBytesPerConnection: number;
  /** The same over the whole server. */
  maxReadBytes: number;
  /** inotify watches of CHANGE_NOTIFY over the whole server (server/notify/); past it a watch gets STATUS_NOTIFY_ENUM_DIR. */
  maxNotifyWatches: number;
  /** inotify watches one WATCH_TREE CHANGE_NOTIFY may hold (its directory and every one beneath it). */
  maxNotifyWatchesPerTree: number;
  /** Bytes of changes kept per watching open while no CHANGE_NOTIFY waits (the client's OutputBufferLength caps it too). */
  maxNotifyQueuedBytes: number;
  /** The same over the whole server; past it a watch gets STATUS_NOTIFY_ENUM_DIR instead of queueing. */
  maxNotifyQueuedBytesTotal: number;
  /** How long a CREATE (or rename) waits for an oplock or lease break acknowledgment, [MS-SMB2] 3.3.2.1 (35 s). */
  oplockBreakTimeoutMs: number;
  /** Leases one client (ClientGuid) may hold at once, [MS-SMB2] 3.3.1.4 LeaseTable; past it opens get no lease. */
  maxLeasesPerClient: number;
  /** Durable opens kept for a reconnect after their connection or session ended, over the whole server; past it such opens are closed, [MS-SMB2] 3.3.7.1. */
  maxDisconnectedDurableOpens: number;
  /** How long a disconnected durable open waits for its client when the client named no timeout (v1, or v2 with Timeout 0), [MS-SMB2] 3.3.5.9.6. */
  durableOpenTimeoutMs: number;
  /** The longest timeout a v2 durable open gets, whatever it asks for (Windows and Samba: 300 s), [MS-SMB2] 3.3.5.9.10. */
  maxDurableOpenTimeoutMs: number;
}

/** What the connection limits need: how many connections at once, in all and from one address. */
export type ConnectionLimits = Pick<ServerLimits, 'maxConnections' | 'maxConnectionsPerAddress'>;

/** The limit one more connection would exceed, given those held now in all and from its address; null when it fits. */
export function connectionLimitHit(limits: ConnectionLimits, held: number, heldFromAddress: number): 'connections' | 'connections_per_address' | null {
  if (held >= limits.maxConnections) return 'connections';
  return heldFromAddress >= limits.maxConnectionsPerAddress ? 'connections_per_address' : null;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxSessionsPerConnection: 64,
  maxOpenFilesPerConnection: 4096,
  maxMessageBytes: 8 * 1024 * 1024 + 64 * 1024,
  maxPreauthMessageBytes: 64 * 1024,
  maxCredits: 8192,
  maxConnections: 1024,
  maxConnectionsPerAddress: 64,
  idleTimeoutMs: 15 * 60 * 1000,
  frameTimeoutMs: 60 * 1000,
  maxRequestBytesPerConnection: 32 * 1024 * 1024,
  maxReadBytesPerConnection: 64 * 1024 * 1024,
  maxReadBytes: 512 * 1024 * 1024,
  maxNotifyWatches: 8192,
  maxNotifyWatchesPerTree: 1024,
  maxNotifyQueuedBytes: 64 * 1024,
  maxNotifyQueuedBytesTotal: 32 * 1024 * 1024,
  oplockBreakTimeoutMs: 35 * 1000,
  maxLeasesPerClient: 4096,
  maxDisconnectedDurableOpens: 1024,
  durableOpenTimeoutMs: 60 * 1000,
  maxDurableOpenTimeoutMs: 300 * 1000,
};

/** Options whose limits lack keys added later (embedders, older tests) get the defaults for those. */
export function withDefaultLimits(options: ServerOptions): ServerOptions {
  return { ...options, limits: { ...DEFAULT_LIMITS, ...options.limits } };
}
