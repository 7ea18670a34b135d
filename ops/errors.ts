/**
 * Error catalogue for the operating side of spliced (config, CLI, ops server),
 * in the fastify style: one module, stable `SPLICED_ERR_<AREA>_<WHAT>` codes
 * that scripts and tests may match on; messages may improve over time.
 */
export const ERROR_CODES = {
  /** A line that is neither a section header, a key = value pair, a comment nor blank. */
  CONFIG_SYNTAX: 'SPLICED_ERR_CONFIG_SYNTAX',
  /** A boolean key with a value other than yes/no/true/false/on/off/1/0. */
  CONFIG_BOOLEAN: 'SPLICED_ERR_CONFIG_BOOLEAN',
  /** A size that does not parse (`12XB`) or is out of range. */
  CONFIG_SIZE: 'SPLICED_ERR_CONFIG_SIZE',
  /** A port that is not an integer in range. */
  CONFIG_PORT: 'SPLICED_ERR_CONFIG_PORT',
  /** A key whose value is not one of its allowed words (protocols, signing, log level...). */
  CONFIG_VALUE: 'SPLICED_ERR_CONFIG_VALUE',
  /** Two share sections with the same (case-insensitive) name. */
  CONFIG_DUPLICATE_SHARE: 'SPLICED_ERR_CONFIG_DUPLICATE_SHARE',
  /** A share name that clients cannot type or that collides with a reserved name. */
  CONFIG_SHARE_NAME: 'SPLICED_ERR_CONFIG_SHARE_NAME',
  /** A share without `path`, or a path that is missing or not a directory. */
  CONFIG_SHARE_PATH: 'SPLICED_ERR_CONFIG_SHARE_PATH',
  /** An `interfaces` entry that names no local interface or has a bad option. */
  CONFIG_INTERFACE: 'SPLICED_ERR_CONFIG_INTERFACE',
  /** A `metrics address` that is not HOST:PORT. */
  CONFIG_ADDRESS: 'SPLICED_ERR_CONFIG_ADDRESS',
  /** The config file cannot be read. */
  CONFIG_READ: 'SPLICED_ERR_CONFIG_READ',
  /** No password given and none can be prompted for. */
  CLI_PASSWORD: 'SPLICED_ERR_CLI_PASSWORD',
  /** A bad command-line value (e.g. `--port abc`). */
  CLI_ARGUMENT: 'SPLICED_ERR_CLI_ARGUMENT',
  /** `spliced bench NAME` where test/bench/NAME.ts does not exist. */
  BENCH_UNKNOWN: 'SPLICED_ERR_BENCH_UNKNOWN',
  /** The spliced_fs addon (openat2 and the other *at calls) is not built: spliced does not serve without it. */
  NATIVE_FS: 'SPLICED_ERR_NATIVE_FS',
  /** Dropping root privileges to the `user` key's account failed. */
  PRIVILEGE_DROP: 'SPLICED_ERR_PRIVILEGE_DROP',
  /** `spliced install-service` with a path or account the unit cannot carry. */
  INSTALL_SERVICE: 'SPLICED_ERR_INSTALL_SERVICE',
  /** `spliced user del` of a user that is not in the users file. */
  USER_UNKNOWN: 'SPLICED_ERR_USER_UNKNOWN',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class SplicedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SplicedError';
  }
}

/** A config problem, located: the message reads `file:line: what is wrong`. */
export class ConfigError extends SplicedError {
  constructor(
    code: ErrorCode,
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(code, line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`);
    this.name = 'ConfigError';
  }
}
