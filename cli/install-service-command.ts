/**
 * `spliced install-service`: writes packaging/spliced.service with this machine's paths
 * filled in (node, the compiled CLI, the config, the account) to the systemd unit directory,
 * then says what is left to run. It starts nothing itself.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { packageRoot } from './repo-root.js';
import { ERROR_CODES, SplicedError } from '../ops/errors.js';

export interface UnitSettings {
  /** Absolute path of the node binary. */
  node: string;
  /** Absolute path of the CLI entry (dist/cli/main.js). */
  main: string;
  /** Absolute path of the config file. */
  config: string;
  /** The account the service runs as (created with useradd --system). */
  user: string;
}

export interface InstallOptions {
  config?: string;
  user?: string;
  unitDir?: string;
  /** Print the unit instead of writing it. */
  print?: boolean;
}

export const DEFAULT_UNIT_DIR = '/etc/systemd/system';
export const DEFAULT_SERVICE_CONFIG = '/etc/spliced/spliced.conf';
export const DEFAULT_SERVICE_USER = 'spliced';

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
/** systemd splits ExecStart= on whitespace and expands % and $: paths with those would need quoting. */
const PLAIN_PATH = /^\/[^\s%$"'\\]+$/;

function invalid(message: string): never {
  throw new SplicedError(ERROR_CODES.INSTALL_SERVICE, message);
}

export function renderUnit(template: string, s: UnitSettings): string {
  for (const [name, path] of [['node', s.node], ['CLI', s.main], ['config', s.config]] as const) {
    if (!PLAIN_PATH.test(path)) invalid(`the ${name} path "${path}" must be absolute, without spaces, quotes, % or $`);
  }
  if (!USER_NAME.test(s.user) || s.user === 'root') invalid(`"${s.user}" is not a usable service account (a system user name other than root)`);
  return template.replaceAll('@NODE@', s.node).replaceAll('@MAIN@', s.main).replaceAll('@CONFIG@', s.config).replaceAll('@USER@', s.user);
}

export function unitTemplate(): string {
  return readFileSync(join(packageRoot(), 'packaging', 'spliced.service'), 'utf8');
}

export function installService(opts: InstallOptions): void {
  const root = packageRoot();
  const config = opts.config ?? DEFAULT_SERVICE_CONFIG;
  const settings: UnitSettings = {
    node: process.execPath,
    main: join(root, 'dist', 'cli', 'main.js'),
    config: isAbsolute(config) ? config : resolve(config),
    user: opts.user ?? DEFAULT_SERVICE_USER,
  };
  const unit = renderUnit(unitTemplate(), settings);
  if (opts.print) {
    process.stdout.write(unit);
    return;
  }
  const path = join(opts.unitDir ?? DEFAULT_UNIT_DIR, 'spliced.service');
  writeFileSync(path, unit, { mode: 0o644 });
  const todo = [
    `wrote ${path}`,
    ...(existsSync(settings.main) ? [] : [`  ${settings.main} does not exist yet: run npm run build in ${root}`]),
    ...(existsSync(settings.config) ? [] : [`  ${settings.config} does not exist yet: write it (spliced check-config checks it)`]),
    'then, as root:',
    `  id ${settings.user} || useradd --system --no-create-home --shell /usr/sbin/nologin ${settings.user}`,
    `  chown -R ${settings.user} <each share directory>   # the service reads and writes shares as ${settings.user}`,
    '  systemctl daemon-reload && systemctl enable --now spliced',
    '  journalctl -u spliced -f                            # one line says whether SMB Direct is listening',
  ];
  process.stdout.write(`${todo.join('\n')}\n`);
}
