#!/usr/bin/env node
/**
 * The `spliced` command. Subcommands load their modules lazily so `spliced user list`
 * does not pay for the SMB server, and one broken area does not take down the others.
 */
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, SplicedError } from '../ops/errors.js';
import { availableBenchmarks, runBenchmark } from './bench-command.js';
import { LOG_FORMATS, LOG_LEVELS, parseHostPort, parseLogFormat, parseLogLevel, parsePort, type LogFormat, type LogLevel } from '../ops/config-values.js';

const CLI_WHERE = { file: 'command line', line: 0 };

function cliValue<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new InvalidArgumentError(err instanceof ConfigError ? err.detail : (err as Error).message);
  }
}

const portArg = (v: string): number => cliValue(() => parsePort(v, '--port', CLI_WHERE, true));
const hostPortArg = (v: string) => cliValue(() => parseHostPort(v, '--metrics', CLI_WHERE));
const logLevelArg = (v: string): LogLevel => cliValue(() => parseLogLevel(v, '--log-level', CLI_WHERE));
const logFormatArg = (v: string): LogFormat => cliValue(() => parseLogFormat(v, '--log-format', CLI_WHERE));

const EXAMPLES = `
Examples:
  $ spliced serve                                 # demo share, guest access, port 4450
  $ smbclient //127.0.0.1/demo -p 4450 -N         # ...and connect to it
  $ spliced check-config /etc/spliced/spliced.conf
  $ spliced serve --config /etc/spliced/spliced.conf --metrics 0.0.0.0:9445
  $ spliced user add alice --users-file /etc/spliced/users
  $ kill -HUP <pid>                               # reload shares and users (pid is in every log line)
  $ spliced bench tcp --size-mib 256 --rounds 3
  $ sudo spliced install-service --config /etc/spliced/spliced.conf   # systemd unit

Status page and metrics: http://127.0.0.1:9445/ and /metrics (Prometheus).`;

function buildProgram(): Command {
  const program = new Command('spliced')
    .description('SMB3 file server with a zero-copy page cache (SMB Direct over RDMA is being built)')
    .version('0.1.0')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES);

  program
    .command('serve')
    .description('serve the configured shares (no --config: the embedded demo share)')
    .option('-c, --config <file>', 'smb.conf-style config file')
    .option('-p, --port <n>', 'TCP port (overrides "tcp port")', portArg)
    .option('-m, --metrics <host:port>', 'metrics and status page address (overrides "metrics address")', hostPortArg)
    .option('-l, --log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (overrides "log level")`, logLevelArg)
    .option('--log-format <format>', `${LOG_FORMATS.join(', ')}: auto is readable text on a terminal, JSON lines otherwise (overrides "log format")`, logFormatArg)
    .addHelpText('after', '\nSignals: SIGHUP reloads shares and users, SIGTERM/SIGINT drain and exit 0.')
    .action(async (opts: { config?: string; port?: number; metrics?: { host: string; port: number }; logLevel?: LogLevel; logFormat?: LogFormat }) => {
      const { serveForever } = await import('../ops/serve.js');
      await serveForever({ configPath: opts.config, port: opts.port, metrics: opts.metrics, logLevel: opts.logLevel, logFormat: opts.logFormat });
    });

  addUserCommands(program);

  program
    .command('check-config')
    .description('parse and validate a config, print the effective settings (like testparm)')
    .argument('[file]', 'config file (none: the embedded default)')
    .action(async (file?: string) => {
      const { checkConfig } = await import('./check-config-command.js');
      checkConfig(file);
    });

  program
    .command('install-service')
    .description('write the systemd unit spliced.service (SMB Direct ready: CAP_IPC_LOCK, LimitMEMLOCK=infinity) and say what to run next')
    .option('-c, --config <file>', 'config file the service serves', '/etc/spliced/spliced.conf')
    .option('-u, --user <name>', 'account the service runs as', 'spliced')
    .option('--unit-dir <dir>', 'where to write spliced.service', '/etc/systemd/system')
    .option('--print', 'print the unit on stdout instead of writing it')
    .action(async (opts: { config: string; user: string; unitDir: string; print?: boolean }) => {
      const { installService } = await import('./install-service-command.js');
      installService(opts);
    });

  program
    .command('bench')
    .description('run a benchmark from test/bench (e.g. tcp, cache); arguments pass through')
    .argument('<name>', 'benchmark name')
    .argument('[args...]', 'arguments for the benchmark')
    .allowUnknownOption()
    .passThroughOptions()
    .addHelpText('after', () => `\nAvailable: ${availableBenchmarks().join(', ') || '(none found in test/bench)'}\nExample: spliced bench tcp --size-mib 256 --rounds 3`)
    .action(async (name: string, args: string[]) => {
      process.exitCode = await runBenchmark(name, args);
    });
  return program;
}

function addUserCommands(program: Command): void {
  const user = program
    .command('user')
    .description('manage the users file (name:NT-hash lines), like ksmbd.adduser')
    .addHelpText('after', '\nThe users file defaults to $SPLICED_USERS_FILE, else ./spliced.users.');
  const fileOption = ['-f, --users-file <file>', 'users file'] as const;
  user
    .command('add')
    .description('add a user or change its password')
    .argument('<name>')
    .option(...fileOption)
    .option('--password <password>', 'password (else prompted on a terminal, else read from stdin)')
    .action(async (name: string, opts: { usersFile?: string; password?: string }) => {
      const { userAdd } = await import('./user-command.js');
      await userAdd(name, opts);
    });
  user
    .command('del')
    .alias('delete')
    .description('delete a user')
    .argument('<name>')
    .option(...fileOption)
    .action(async (name: string, opts: { usersFile?: string }) => {
      const { userDel } = await import('./user-command.js');
      userDel(name, opts);
    });
  user
    .command('list')
    .description('list user names')
    .option(...fileOption)
    .action(async (opts: { usersFile?: string }) => {
      const { userList } = await import('./user-command.js');
      userList(opts);
    });
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Catalogued errors are for users; anything else is a bug or an OS error, so keep its stack at hand.
  const detail = err instanceof SplicedError || !process.env.SPLICED_DEBUG ? (err as Error).message : (err as Error).stack;
  process.stderr.write(`spliced: ${detail}\n`);
  process.exitCode = 1;
}
