/**
 * The parameters spliced understands, Samba/ksmbd spelling, with their synonyms.
 * Share parameters may also appear in [global], where they set every share's default.
 */
import type { InterfaceConfig, ServerLimits, ServerOptions, SigningPolicy } from '../server/options.js';
import { DEFAULT_LIMITS as SMBD_DEFAULTS, LIMIT_RANGES as SMBD_RANGES } from '../smbdirect/constants.js';
import { parseInterfaces } from './config-interfaces.js';
import type { SmbDirectProtocolLimits } from './smbdirect-hook.js';
import {
  DIALECTS,
  parseBoolean,
  parseCount,
  parseHostPort,
  parseList,
  parseLogFormat,
  parseLogLevel,
  parseMapToGuest,
  parsePort,
  parseProtocol,
  parseSigning,
  parseSize,
  parseWriteCache,
  unquote,
  type HostPort,
  type LogFormat,
  type LogLevel,
  type MapToGuest,
  type ProtocolValue,
  type Where,
} from './config-values.js';

/** Sizes ksmbd accepts for `smbd max io size`; the core's frame limit assumes at most 8 MiB. */
export const MAX_IO_SIZE_RANGE = { min: 64 * 1024, max: 8 * 1024 * 1024 } as const;
export const CACHE_SIZE_RANGE = { min: 1024 * 1024, max: 1024 ** 4 } as const;
/** Limits on what clients may make the server hold (issue 9): ranges of their keys. */
export const LIMIT_RANGES = {
  connections: { min: 1, max: 65535 },
  /** Samba's `deadtime`, minutes; 0 = never. */
  deadtimeMinutes: { min: 0, max: 10080 },
  frameTimeoutSeconds: { min: 0, max: 3600 },
  /** NEGOTIATE and SESSION_SETUP fit; at most a direct-TCP frame. */
  preauthFrame: { min: 4 * 1024, max: 0xffffff },
  /** At least one READ (or WRITE) of the largest `smbd max io size`, or such requests could never be served. */
  readBytes: { min: MAX_IO_SIZE_RANGE.max, max: 1024 ** 4 },
} as const;

export interface Located<T> {
  value: T;
  line: number;
}

export interface ShareDraft {
  path?: Located<string>;
  readOnly?: boolean;
  guestOk?: boolean;
  validUsers?: Located<string[]>;
  browseable?: boolean;
  comment?: string;
}

export interface GlobalDraft {
  serverName?: string;
  workgroup?: string;
  interfaces?: Located<InterfaceConfig[]>;
  bindInterfacesOnly?: Located<boolean>;
  minProtocol?: Located<ProtocolValue>;
  maxProtocol?: Located<ProtocolValue>;
  maxIoSize?: number;
  tcpPort?: number;
  /** `rdma port`: a port, 0 (off), or 'auto' (5445 when the host has an RDMA device; the default). */
  rdmaPort?: number | 'auto';
  rdmaZeroCopy?: boolean;
  signing?: SigningPolicy;
  cacheBytes?: number;
  writeBehind?: boolean;
  metricsAddress?: HostPort;
  usersFile?: Located<string>;
  mapToGuest?: MapToGuest;
  /** `user`: the account `serve` becomes after binding its ports when started as root. */
  runAsUser?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  limits?: Partial<ServerLimits>;
  /** The `smb direct *` keys, with the line each was set on (config.ts checks them together). */
  smbDirect?: Partial<Record<keyof SmbDirectProtocolLimits, Located<number>>>;
}

type Setter<D> = (draft: D, value: string, at: Where, key: string) => void;

export const SHARE_KEYS: Record<string, Setter<ShareDraft>> = {
  path: (d, v, at) => (d.path = { value: unquote(v), line: at.line }),
  'read only': (d, v, at, k) => (d.readOnly = parseBoolean(v, k, at)),
  writeable: (d, v, at, k) => (d.readOnly = !parseBoolean(v, k, at)),
  writable: (d, v, at, k) => (d.readOnly = !parseBoolean(v, k, at)),
  'write ok': (d, v, at, k) => (d.readOnly = !parseBoolean(v, k, at)),
  'guest ok': (d, v, at, k) => (d.guestOk = parseBoolean(v, k, at)),
  public: (d, v, at, k) => (d.guestOk = parseBoolean(v, k, at)),
  'valid users': (d, v, at) => (d.validUsers = { value: parseList(v), line: at.line }),
  browseable: (d, v, at, k) => (d.browseable = parseBoolean(v, k, at)),
  browsable: (d, v, at, k) => (d.browseable = parseBoolean(v, k, at)),
  comment: (d, v) => (d.comment = unquote(v)),
};

export const GLOBAL_KEYS: Record<string, Setter<GlobalDraft>> = {
  'netbios name': (d, v) => (d.serverName = unquote(v).toUpperCase()),
  workgroup: (d, v) => (d.workgroup = unquote(v).toUpperCase()),
  interfaces: (d, v, at) => (d.interfaces = { value: parseInterfaces(v, at), line: at.line }),
  'bind interfaces only': (d, v, at, k) => (d.bindInterfacesOnly = { value: parseBoolean(v, k, at), line: at.line }),
  'server min protocol': (d, v, at, k) => (d.minProtocol = { value: parseProtocol(v, k, at), line: at.line }),
  'min protocol': (d, v, at, k) => (d.minProtocol = { value: parseProtocol(v, k, at), line: at.line }),
  'server max protocol': (d, v, at, k) => (d.maxProtocol = { value: parseProtocol(v, k, at), line: at.line }),
  'max protocol': (d, v, at, k) => (d.maxProtocol = { value: parseProtocol(v, k, at), line: at.line }),
  protocol: (d, v, at, k) => (d.maxProtocol = { value: parseProtocol(v, k, at), line: at.line }),
  'smbd max io size': (d, v, at, k) => (d.maxIoSize = parseSize(v, k, at, MAX_IO_SIZE_RANGE)),
  'tcp port': (d, v, at, k) => (d.tcpPort = parsePort(v, k, at, true)),
  'rdma port': (d, v, at, k) => (d.rdmaPort = /^\s*auto\s*$/i.test(v) ? 'auto' : parsePort(v, k, at, true)),
  // no: every SMB Direct READ goes through registered bounce buffers (benchmarks compare the two).
  'rdma zero copy': (d, v, at, k) => (d.rdmaZeroCopy = parseBoolean(v, k, at)),
  'server signing': (d, v, at, k) => (d.signing = parseSigning(v, k, at)),
  // 0 turns the page cache off: plain positional file I/O, every read copied.
  'cache size': (d, v, at, k) => (d.cacheBytes = /^\s*0+\s*$/.test(v) ? 0 : parseSize(v, k, at, CACHE_SIZE_RANGE)),
  // behind: WRITEs are answered from memory and written back later; lost if the process dies.
  'write cache': (d, v, at, k) => (d.writeBehind = parseWriteCache(v, k, at) === 'behind'),
  'metrics address': (d, v, at, k) => (d.metricsAddress = parseHostPort(v, k, at)),
  'users file': (d, v, at) => (d.usersFile = { value: unquote(v), line: at.line }),
  'map to guest': (d, v, at, k) => (d.mapToGuest = parseMapToGuest(v, k, at)),
  'log level': (d, v, at, k) => (d.logLevel = parseLogLevel(v, k, at)),
  'log format': (d, v, at, k) => (d.logFormat = parseLogFormat(v, k, at)),
  'max connections': (d, v, at, k) => limit(d, 'maxConnections', parseCount(v, k, at, LIMIT_RANGES.connections)),
  'max connections per address': (d, v, at, k) => limit(d, 'maxConnectionsPerAddress', parseCount(v, k, at, LIMIT_RANGES.connections)),
  deadtime: (d, v, at, k) => limit(d, 'idleTimeoutMs', parseCount(v, k, at, LIMIT_RANGES.deadtimeMinutes) * 60_000),
  'frame timeout': (d, v, at, k) => limit(d, 'frameTimeoutMs', parseCount(v, k, at, LIMIT_RANGES.frameTimeoutSeconds) * 1000),
  'max preauth frame size': (d, v, at, k) => limit(d, 'maxPreauthMessageBytes', parseSize(v, k, at, LIMIT_RANGES.preauthFrame)),
  'max request bytes per connection': (d, v, at, k) => limit(d, 'maxRequestBytesPerConnection', parseSize(v, k, at, LIMIT_RANGES.readBytes)),
  'max read bytes per connection': (d, v, at, k) => limit(d, 'maxReadBytesPerConnection', parseSize(v, k, at, LIMIT_RANGES.readBytes)),
  'max read bytes': (d, v, at, k) => limit(d, 'maxReadBytes', parseSize(v, k, at, LIMIT_RANGES.readBytes)),
  user: (d, v) => (d.runAsUser = unquote(v)),
  // [MS-SMBD] 3.1.1.1 tunables; MaxReadWriteSize is `smbd max io size`. Ranges: smbdirect/constants.ts.
  'smb direct max send size': (d, v, at, k) => smbd(d, 'maxSendSize', parseSize(v, k, at, SMBD_RANGES.maxSendSize), at),
  'smb direct max receive size': (d, v, at, k) => smbd(d, 'maxReceiveSize', parseSize(v, k, at, SMBD_RANGES.maxReceiveSize), at),
  'smb direct max fragmented size': (d, v, at, k) => smbd(d, 'maxFragmentedSize', parseSize(v, k, at, SMBD_RANGES.maxFragmentedSize), at),
  'smb direct receive credits': (d, v, at, k) => smbd(d, 'receiveCreditMax', parseCount(v, k, at, SMBD_RANGES.receiveCreditMax), at),
  'smb direct send credit target': (d, v, at, k) => smbd(d, 'sendCreditTarget', parseCount(v, k, at, SMBD_RANGES.sendCreditTarget), at),
  'smb direct keepalive interval': (d, v, at, k) => smbd(d, 'keepaliveMs', parseCount(v, k, at, SMBD_RANGES.keepaliveSeconds) * 1000, at),
  'smb direct idle timeout': (d, v, at, k) => smbd(d, 'idleTimeoutMs', parseCount(v, k, at, SMBD_RANGES.idleTimeoutSeconds) * 1000, at),
};

function smbd(d: GlobalDraft, key: keyof SmbDirectProtocolLimits, value: number, at: Where): void {
  d.smbDirect = { ...d.smbDirect, [key]: { value, line: at.line } };
}

function limit<K extends keyof ServerLimits>(d: GlobalDraft, key: K, value: ServerLimits[K]): void {
  d.limits = { ...d.limits, [key]: value };
}

/** Samba sections that are not plain shares; spliced skips them with a warning. */
export const SAMBA_SPECIAL_SECTIONS = ['homes', 'printers', 'print$'] as const;

export interface SplicedConfig {
  options: ServerOptions;
  metricsAddress: HostPort;
  warnings: string[];
  /** Absolute path of the users file, when the config names one. */
  usersFile?: string;
  mapToGuest: MapToGuest;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** The account `serve` runs as once its ports are bound, when started as root (`user`, default nobody). */
  runAsUser: string;
  /** The file it came from, or `(embedded default)`. */
  source: string;
  /** SMB Direct beyond `options.rdmaPort` (the port it listens on when on; 0 = off). */
  rdma: RdmaSettings;
}

export interface RdmaSettings {
  /** `rdma port` unset or `auto`: listen on `options.rdmaPort` only when the host has an RDMA device, quietly off otherwise. */
  auto: boolean;
  /** `rdma zero copy` (default yes); no makes every SMB Direct READ a copy through bounce buffers. */
  zeroCopy: boolean;
  /** The `smb direct *` keys, defaults filled in. */
  limits: SmbDirectProtocolLimits;
}

export const CONFIG_DEFAULTS = {
  serverName: 'SPLICED',
  workgroup: 'WORKGROUP',
  tcpPort: 4450,
  /** [MS-SMBD] 2.1: 5445 is SMB Direct's port (the kernel cifs client tries it first, then 445). */
  rdmaPort: 5445,
  minDialect: DIALECTS.SMB2_02,
  maxDialect: DIALECTS.SMB3_11,
  signing: 'auto',
  maxIoSize: 8 * 1024 * 1024,
  cacheBytes: 256 * 1024 * 1024,
  metricsAddress: { host: '127.0.0.1', port: 9445 },
  mapToGuest: 'never',
  logLevel: 'info',
  logFormat: 'auto',
  runAsUser: 'nobody',
  /** The field's values (Windows, ksmbd and the cifs client): 1364-byte sends and receives, 255 credits, keep-alive 120 s. */
  smbDirect: {
    receiveCreditMax: SMBD_DEFAULTS.receiveCreditMax,
    sendCreditTarget: SMBD_DEFAULTS.sendCreditTarget,
    maxSendSize: SMBD_DEFAULTS.maxSendSize,
    maxReceiveSize: SMBD_DEFAULTS.maxReceiveSize,
    maxFragmentedSize: SMBD_DEFAULTS.maxFragmentedSize,
    keepaliveMs: SMBD_DEFAULTS.keepaliveMs,
    idleTimeoutMs: SMBD_DEFAULTS.idleTimeoutMs,
  } satisfies SmbDirectProtocolLimits,
} as const;

