/**
 * spliced.conf: the smb.conf/ksmbd.conf grammar turned into ServerOptions.
 * `parseConfig` validates everything up front and throws a ConfigError located at
 * `file:line`; unknown parameters only warn, as in Samba's testparm.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MemoryUserDb, type UserDb } from '../auth/user-db.js';
import { loadUsersFile } from '../auth/users-file.js';
import { DEFAULT_LIMITS, type GuestMapping, type ServerOptions, type ShareConfig } from '../server/options.js';
import { ConfigError, ERROR_CODES } from './errors.js';
import { lexConfig, type ConfigSection } from './config-lexer.js';
import {
  CONFIG_DEFAULTS,
  GLOBAL_KEYS,
  SAMBA_SPECIAL_SECTIONS,
  SHARE_KEYS,
  type GlobalDraft,
  type ShareDraft,
  type SplicedConfig,
} from './config-keys.js';
import { formatSize, type MapToGuest, type Where } from './config-values.js';
import type { SmbDirectProtocolLimits } from './smbdirect-hook.js';
import { LIMIT_RANGES as SMBD_RANGES, pinnedReceiveBytes } from '../smbdirect/constants.js';

export { ConfigError } from './errors.js';
export { defaultConfig, demoDirectory } from './demo-share.js';
export { CONFIG_DEFAULTS, type SplicedConfig } from './config-keys.js';

const SHARE_NAME_FORBIDDEN = /["\\/[\]:|<>+=;,*?\x00-\x1f]/;
const MAX_SHARE_NAME = 80;

interface ParseContext {
  file: string;
  baseDir: string;
  warnings: string[];
}

function warn(ctx: ParseContext, line: number, text: string): void {
  ctx.warnings.push(line > 0 ? `${ctx.file}:${line}: ${text}` : `${ctx.file}: ${text}`);
}

function applyEntries<D>(
  ctx: ParseContext,
  section: ConfigSection,
  draft: D,
  keys: Record<string, (d: D, v: string, at: Where, k: string) => void>,
  otherKeys: Record<string, unknown>,
): void {
  const seen = new Map<string, number>();
  for (const e of section.entries) {
    const setter = Object.hasOwn(keys, e.key) ? keys[e.key] : undefined;
    if (!setter) {
      const misplaced = Object.hasOwn(otherKeys, e.key);
      const where = misplaced ? `global parameter "${e.key}" in share [${section.name}]` : `unknown parameter "${e.key}"`;
      if (!misplaced || section.name.toLowerCase() !== 'global') warn(ctx, e.line, `${where} ignored`);
      continue;
    }
    const before = seen.get(e.key);
    if (before !== undefined) warn(ctx, e.line, `"${e.key}" already set at line ${before}; this value wins`);
    seen.set(e.key, e.line);
    setter(draft, e.value, { file: ctx.file, line: e.line }, e.key);
  }
}

function checkShareName(ctx: ParseContext, section: ConfigSection): void {
  const name = section.name;
  if (name.length > MAX_SHARE_NAME || SHARE_NAME_FORBIDDEN.test(name) || name.toLowerCase() === 'ipc$') {
    throw new ConfigError(
      ERROR_CODES.CONFIG_SHARE_NAME,
      ctx.file,
      section.line,
      `bad share name [${name}] (up to ${MAX_SHARE_NAME} characters, none of "\\/[]:|<>+=;,*? and not IPC$)`,
    );
  }
}

function checkSharePath(ctx: ParseContext, section: ConfigSection, draft: ShareDraft): string {
  if (!draft.path || draft.path.value === '') {
    throw new ConfigError(ERROR_CODES.CONFIG_SHARE_PATH, ctx.file, section.line, `share [${section.name}] has no "path"`);
  }
  const path = resolve(ctx.baseDir, draft.path.value);
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    throw new ConfigError(ERROR_CODES.CONFIG_SHARE_PATH, ctx.file, draft.path.line, `share [${section.name}]: path "${path}" does not exist`);
  }
  if (!isDir) {
    throw new ConfigError(ERROR_CODES.CONFIG_SHARE_PATH, ctx.file, draft.path.line, `share [${section.name}]: path "${path}" is not a directory`);
  }
  return path;
}

function checkValidUsers(ctx: ParseContext, share: string, draft: ShareDraft, users: UserDb): string[] {
  if (!draft.validUsers) return [];
  const { value, line } = draft.validUsers;
  for (const name of value) {
    if (/^[@+&]/.test(name)) {
      throw new ConfigError(ERROR_CODES.CONFIG_VALUE, ctx.file, line, `groups are not supported in "valid users" ("${name}")`);
    }
    if (!users.lookup(name)) warn(ctx, line, `share [${share}]: valid user "${name}" is not in the users file`);
  }
  return value;
}

function buildShare(ctx: ParseContext, section: ConfigSection, defaults: ShareDraft, users: UserDb): ShareConfig {
  checkShareName(ctx, section);
  const draft: ShareDraft = { ...defaults };
  applyEntries(ctx, section, draft, SHARE_KEYS, GLOBAL_KEYS);
  return {
    name: section.name,
    path: checkSharePath(ctx, section, draft),
    readOnly: draft.readOnly ?? true,
    guestOk: draft.guestOk ?? false,
    validUsers: checkValidUsers(ctx, section.name, draft, users),
    browseable: draft.browseable ?? true,
    comment: draft.comment ?? '',
  };
}

function buildShares(ctx: ParseContext, sections: ConfigSection[], defaults: ShareDraft, users: UserDb): ShareConfig[] {
  const shares: ShareConfig[] = [];
  const firstLine = new Map<string, number>();
  for (const section of sections) {
    const key = section.name.toLowerCase();
    if ((SAMBA_SPECIAL_SECTIONS as readonly string[]).includes(key)) {
      warn(ctx, section.line, `[${section.name}] is a Samba special section that spliced does not support; skipped`);
      continue;
    }
    const first = firstLine.get(key);
    if (first !== undefined) {
      throw new ConfigError(
        ERROR_CODES.CONFIG_DUPLICATE_SHARE,
        ctx.file,
        section.line,
        `duplicate share [${section.name}] (first defined at line ${first})`,
      );
    }
    firstLine.set(key, section.line);
    shares.push(buildShare(ctx, section, defaults, users));
  }
  return shares;
}

function dialectRange(ctx: ParseContext, g: GlobalDraft): { minDialect: number; maxDialect: number } {
  let minDialect: number = CONFIG_DEFAULTS.minDialect;
  const min = g.minProtocol?.value;
  if (min && 'smb1' in min) {
    warn(ctx, g.minProtocol!.line, 'SMB1 is not supported; "server min protocol" raised to SMB2_02');
  } else if (min) minDialect = min.dialect;
  let maxDialect: number = CONFIG_DEFAULTS.maxDialect;
  const max = g.maxProtocol?.value;
  if (max && 'smb1' in max) {
    throw new ConfigError(ERROR_CODES.CONFIG_VALUE, ctx.file, g.maxProtocol!.line, 'SMB1 is not supported; "server max protocol" must be SMB2_02 or later');
  } else if (max) maxDialect = max.dialect;
  if (minDialect > maxDialect) {
    const line = g.maxProtocol?.line ?? g.minProtocol?.line ?? 0;
    throw new ConfigError(ERROR_CODES.CONFIG_VALUE, ctx.file, line, '"server min protocol" is higher than "server max protocol"');
  }
  return { minDialect, maxDialect };
}

/** The core maps unknown users only; Samba's 'bad password' (guest on a wrong password) is not offered. */
function guestMapping(ctx: ParseContext, value: MapToGuest): GuestMapping {
  if (value !== 'bad password') return value;
  warn(ctx, 0, '"map to guest = bad password" is treated as "bad user": a wrong password is always refused');
  return 'bad user';
}

function bindAddresses(ctx: ParseContext, g: GlobalDraft): string[] {
  if (!g.bindInterfacesOnly?.value) return ['0.0.0.0'];
  const addresses = [...new Set((g.interfaces?.value ?? []).map((i) => i.address))];
  if (addresses.length === 0) {
    throw new ConfigError(ERROR_CODES.CONFIG_INTERFACE, ctx.file, g.bindInterfacesOnly.line, '"bind interfaces only = yes" needs "interfaces"');
  }
  return addresses;
}

/**
 * The `smb direct *` keys over their defaults. Each key's own range was checked as it was
 * read; here the receive memory they pin together per connection is.
 */
function smbDirectLimits(ctx: ParseContext, g: GlobalDraft): SmbDirectProtocolLimits {
  const set = g.smbDirect ?? {};
  const limits: SmbDirectProtocolLimits = { ...CONFIG_DEFAULTS.smbDirect };
  for (const [key, located] of Object.entries(set)) limits[key as keyof SmbDirectProtocolLimits] = located.value;
  const pinned = pinnedReceiveBytes(limits);
  if (pinned > SMBD_RANGES.pinnedReceiveBytes.max) {
    const line = Math.max(set.receiveCreditMax?.line ?? 0, set.maxReceiveSize?.line ?? 0);
    throw new ConfigError(
      ERROR_CODES.CONFIG_VALUE,
      ctx.file,
      line,
      `"smb direct receive credits" + 1 times "smb direct max receive size" (${limits.receiveCreditMax + 1} x ${limits.maxReceiveSize}) ` +
        `pins ${pinned} bytes per connection; at most ${formatSize(SMBD_RANGES.pinnedReceiveBytes.max)}`,
    );
  }
  return limits;
}

function loadUsers(ctx: ParseContext, g: GlobalDraft): { users: UserDb; usersFile?: string } {
  if (!g.usersFile) return { users: new MemoryUserDb() };
  const usersFile = resolve(ctx.baseDir, g.usersFile.value);
  try {
    return { users: loadUsersFile(usersFile), usersFile };
  } catch (err) {
    throw new ConfigError(ERROR_CODES.CONFIG_READ, ctx.file, g.usersFile.line, `cannot read users file "${usersFile}": ${(err as Error).message}`);
  }
}

/** Parse and validate a whole config. `fileName` names the file in errors and anchors relative paths. */
export function parseConfig(text: string, fileName: string): SplicedConfig {
  const ctx: ParseContext = { file: fileName, baseDir: dirname(resolve(fileName)), warnings: [] };
  const sections = lexConfig(text, fileName);
  const globals = sections.filter((s) => s.name.toLowerCase() === 'global');
  const g: GlobalDraft = {};
  const shareDefaults: ShareDraft = {};
  for (const section of globals) {
    applyEntries(ctx, section, g, GLOBAL_KEYS, SHARE_KEYS);
    const shareEntries = section.entries.filter((e) => Object.hasOwn(SHARE_KEYS, e.key));
    applyEntries(ctx, { ...section, entries: shareEntries }, shareDefaults, SHARE_KEYS, {});
  }
  if (shareDefaults.path) warn(ctx, shareDefaults.path.line, '"path" in [global] applies to every share');
  const { users, usersFile } = loadUsers(ctx, g);
  const shareSections = sections.filter((s) => s.name.toLowerCase() !== 'global');
  const options: ServerOptions = {
    serverName: g.serverName ?? CONFIG_DEFAULTS.serverName,
    workgroup: g.workgroup ?? CONFIG_DEFAULTS.workgroup,
    bindAddresses: bindAddresses(ctx, g),
    tcpPort: g.tcpPort ?? CONFIG_DEFAULTS.tcpPort,
    rdmaPort: g.rdmaPort === undefined || g.rdmaPort === 'auto' ? CONFIG_DEFAULTS.rdmaPort : g.rdmaPort,
    ...dialectRange(ctx, g),
    signing: g.signing ?? CONFIG_DEFAULTS.signing,
    mapToGuest: guestMapping(ctx, g.mapToGuest ?? CONFIG_DEFAULTS.mapToGuest),
    maxIoSize: g.maxIoSize ?? CONFIG_DEFAULTS.maxIoSize,
    cacheBytes: g.cacheBytes ?? CONFIG_DEFAULTS.cacheBytes,
    writeBehind: g.writeBehind ?? false,
    shares: buildShares(ctx, shareSections, shareDefaults, users),
    interfaces: g.interfaces?.value ?? [],
    users,
    limits: { ...DEFAULT_LIMITS, ...g.limits },
  };
  if (options.shares.length === 0) warn(ctx, 0, 'no shares defined');
  return {
    options,
    metricsAddress: g.metricsAddress ?? { ...CONFIG_DEFAULTS.metricsAddress },
    warnings: ctx.warnings,
    usersFile,
    mapToGuest: g.mapToGuest ?? CONFIG_DEFAULTS.mapToGuest,
    logLevel: g.logLevel ?? CONFIG_DEFAULTS.logLevel,
    logFormat: g.logFormat ?? CONFIG_DEFAULTS.logFormat,
    runAsUser: g.runAsUser ?? CONFIG_DEFAULTS.runAsUser,
    source: fileName,
    rdma: { auto: g.rdmaPort === undefined || g.rdmaPort === 'auto', zeroCopy: g.rdmaZeroCopy ?? true, limits: smbDirectLimits(ctx, g) },
  };
}

export function loadConfig(path: string): SplicedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(ERROR_CODES.CONFIG_READ, path, 0, `cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, path);
}
