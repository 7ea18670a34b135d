/**
 * Value parsers for the smb.conf grammar. Each takes the raw text and where it came
 * from, and throws a located ConfigError naming the key when the value is bad.
 */
import type { SigningPolicy } from '../server/options.js';
import { ConfigError, ERROR_CODES } from './errors.js';

export interface Where {
  file: string;
  line: number;
}

function fail(code: (typeof ERROR_CODES)[keyof typeof ERROR_CODES], at: Where, detail: string): never {
  throw new ConfigError(code, at.file, at.line, detail);
}

/** Samba accepts exactly these spellings (case-insensitive). */
const BOOLEAN_WORDS = {
  yes: true,
  true: true,
  on: true,
  '1': true,
  no: false,
  false: false,
  off: false,
  '0': false,
} as const satisfies Record<string, boolean>;

export function parseBoolean(value: string, key: string, at: Where): boolean {
  const word = value.trim().toLowerCase();
  if (Object.hasOwn(BOOLEAN_WORDS, word)) return BOOLEAN_WORDS[word as keyof typeof BOOLEAN_WORDS];
  return fail(ERROR_CODES.CONFIG_BOOLEAN, at, `unknown boolean "${value}" for "${key}" (use yes or no)`);
}

/** Samba's size suffixes are binary whatever their spelling: 4K = 4KB = 4KiB = 4096. */
const SIZE_MULTIPLIERS = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 } as const;

export interface SizeRange {
  min: number;
  max: number;
}

export function parseSize(value: string, key: string, at: Where, range: SizeRange): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  if (!m) return fail(ERROR_CODES.CONFIG_SIZE, at, `bad size "${value}" for "${key}" (e.g. 8MB, 512K, 1G)`);
  const unit = m[2]!.toLowerCase() as keyof typeof SIZE_MULTIPLIERS;
  const bytes = Math.round(Number(m[1]) * SIZE_MULTIPLIERS[unit]);
  if (bytes < range.min || bytes > range.max) {
    return fail(
      ERROR_CODES.CONFIG_SIZE,
      at,
      `size ${value} for "${key}" is out of range (${formatSize(range.min)} to ${formatSize(range.max)})`,
    );
  }
  return bytes;
}

/** The shortest exact spelling: 8388608 -> "8M", 1536 -> "1536". */
export function formatSize(bytes: number): string {
  for (const [suffix, mult] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${suffix}`;
  }
  return String(bytes);
}

/** A whole number in `range` (counts, seconds, minutes). */
export function parseCount(value: string, key: string, at: Where, range: SizeRange): number {
  const text = value.trim();
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(n >= range.min && n <= range.max)) {
    return fail(ERROR_CODES.CONFIG_VALUE, at, `bad number "${value}" for "${key}" (${range.min} to ${range.max})`);
  }
  return n;
}

export function parsePort(value: string, key: string, at: Where, allowZero: boolean): number {
  const text = value.trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= (allowZero ? 0 : 1) && port <= 65535)) {
    const range = allowZero ? '0 to 65535' : '1 to 65535';
    return fail(ERROR_CODES.CONFIG_PORT, at, `bad port "${value}" for "${key}" (${range})`);
  }
  return port;
}

/**
 * Split a list on commas and whitespace; double quotes group an item
 * (`"eth0;capability=RDMA,speed=1000"` stays one item).
 */
export function parseList(value: string): string[] {
  const items: string[] = [];
  const re = /"([^"]*)"|([^\s,"]+)/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const item = m[1] ?? m[2]!;
    if (item.length > 0) items.push(item);
  }
  return items;
}

/** A value in double quotes loses them (`comment = "Team files"`). */
export function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/** Samba's dialect names ([MS-SMB2] 2.2.3 dialect revisions). SMB2 and SMB3 pick Samba's default variant. */
export const DIALECTS = {
  SMB2_02: 0x0202,
  SMB2_10: 0x0210,
  SMB3_00: 0x0300,
  SMB3_02: 0x0302,
  SMB3_11: 0x0311,
  SMB2: 0x0210,
  SMB3: 0x0311,
} as const;

/** SMB1-era names Samba accepts; spliced speaks SMB2+ only. */
const SMB1_DIALECTS = ['CORE', 'COREPLUS', 'LANMAN1', 'LANMAN2', 'NT1'] as const;

export type ProtocolValue = { dialect: number } | { smb1: true };

export function parseProtocol(value: string, key: string, at: Where): ProtocolValue {
  const name = value.trim().toUpperCase();
  if (Object.hasOwn(DIALECTS, name)) return { dialect: DIALECTS[name as keyof typeof DIALECTS] };
  if ((SMB1_DIALECTS as readonly string[]).includes(name)) return { smb1: true };
  return fail(
    ERROR_CODES.CONFIG_VALUE,
    at,
    `unknown protocol "${value}" for "${key}" (SMB2_02, SMB2_10, SMB3_00, SMB3_02 or SMB3_11)`,
  );
}

export function dialectName(dialect: number): string {
  const exact = Object.entries(DIALECTS).find(([name, d]) => d === dialect && name.includes('_'));
  return exact ? exact[0] : `0x${dialect.toString(16)}`;
}

/** Samba's enum_smb_signing_vals spellings mapped onto the three policies. */
const SIGNING_WORDS: Record<string, SigningPolicy> = {
  disabled: 'disabled',
  no: 'disabled',
  false: 'disabled',
  off: 'disabled',
  '0': 'disabled',
  auto: 'auto',
  default: 'auto',
  if_required: 'auto',
  enabled: 'auto',
  yes: 'auto',
  true: 'auto',
  on: 'auto',
  '1': 'auto',
  mandatory: 'mandatory',
  required: 'mandatory',
  force: 'mandatory',
  forced: 'mandatory',
  enforced: 'mandatory',
};

export function parseSigning(value: string, key: string, at: Where): SigningPolicy {
  const word = value.trim().toLowerCase();
  if (Object.hasOwn(SIGNING_WORDS, word)) return SIGNING_WORDS[word]!;
  return fail(ERROR_CODES.CONFIG_VALUE, at, `unknown value "${value}" for "${key}" (disabled, auto or mandatory)`);
}

export const MAP_TO_GUEST = ['never', 'bad user', 'bad password'] as const;
export type MapToGuest = (typeof MAP_TO_GUEST)[number];

export function parseMapToGuest(value: string, key: string, at: Where): MapToGuest {
  const word = value.trim().toLowerCase().replace(/[\s_]+/g, ' ');
  const found = MAP_TO_GUEST.find((w) => w === word);
  if (found) return found;
  return fail(ERROR_CODES.CONFIG_VALUE, at, `unknown value "${value}" for "${key}" (never, bad user or bad password)`);
}

export const WRITE_CACHE_MODES = ['through', 'behind'] as const;
export type WriteCacheMode = (typeof WRITE_CACHE_MODES)[number];

/** `write cache`: through (every WRITE handed to the kernel before it is answered) or behind. */
export function parseWriteCache(value: string, key: string, at: Where): WriteCacheMode {
  const word = value.trim().toLowerCase();
  const found = WRITE_CACHE_MODES.find((w) => w === word);
  if (found) return found;
  return fail(ERROR_CODES.CONFIG_VALUE, at, `unknown value "${value}" for "${key}" (through or behind)`);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Pino level names, or Samba's numeric debug levels 0..10 mapped onto them. */
export function parseLogLevel(value: string, key: string, at: Where): LogLevel {
  const word = value.trim().toLowerCase();
  const named = LOG_LEVELS.find((l) => l === word);
  if (named) return named;
  if (/^\d+$/.test(word) && Number(word) <= 10) {
    const n = Number(word);
    return n === 0 ? 'error' : n === 1 ? 'warn' : n === 2 ? 'info' : n < 10 ? 'debug' : 'trace';
  }
  return fail(ERROR_CODES.CONFIG_VALUE, at, `unknown log level "${value}" for "${key}" (${LOG_LEVELS.join(', ')} or 0-10)`);
}

export const LOG_FORMATS = ['auto', 'text', 'json'] as const;
/** auto: readable lines when stderr is a terminal, JSON lines otherwise (pipes, files, journald). */
export type LogFormat = (typeof LOG_FORMATS)[number];

export function parseLogFormat(value: string, key: string, at: Where): LogFormat {
  const word = value.trim().toLowerCase();
  const found = LOG_FORMATS.find((f) => f === word);
  if (found) return found;
  return fail(ERROR_CODES.CONFIG_VALUE, at, `unknown log format "${value}" for "${key}" (${LOG_FORMATS.join(', ')})`);
}

export interface HostPort {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[v6]:PORT`. */
export function parseHostPort(value: string, key: string, at: Where): HostPort {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(value.trim()) ?? /^([^:\s]+):(\d+)$/.exec(value.trim());
  if (!m) return fail(ERROR_CODES.CONFIG_ADDRESS, at, `bad address "${value}" for "${key}" (use HOST:PORT)`);
  return { host: m[1]!, port: parsePort(m[2]!, key, at, true) };
}

export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
