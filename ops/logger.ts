/**
 * The process logger: pino, writing to stderr synchronously (nothing is lost on exit). On a
 * terminal, `log format = auto` prints readable lines through pino-pretty, as pino users expect;
 * piped, redirected or under a service manager it prints one JSON object a line.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './config-values.js';

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Whether stderr is a terminal; defaults to process.stderr.isTTY. */
  terminal?: boolean;
  /** Where JSON lines go instead of stderr (tests read them). */
  destination?: DestinationStream;
}

/** The format `auto` stands for on this stderr. */
export function effectiveLogFormat(format: LogFormat, terminal: boolean): 'text' | 'json' {
  if (format !== 'auto') return format;
  return terminal ? 'text' : 'json';
}

function destination(format: 'text' | 'json', terminal: boolean): DestinationStream {
  if (format === 'json') return pino.destination({ dest: 2, sync: true });
  return pretty({
    destination: 2,
    sync: true,
    colorize: terminal,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name',
    singleLine: true,
  });
}

export function createLogger(opts: LoggerOptions): Logger {
  const terminal = opts.terminal ?? Boolean(process.stderr.isTTY);
  return pino({ name: 'spliced', level: opts.level }, opts.destination ?? destination(effectiveLogFormat(opts.format, terminal), terminal));
}
