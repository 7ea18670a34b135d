/**
 * What the fuzzer watches on the server side without touching server or cache code:
 * READ payloads handed out and not released (a wrapper around the FileIoProvider), the
 * cache's pinned-page gauge (SPLICED and bounce pages, idle value 0), internal errors
 * (logged 'request processing failed' and counted as protocol error 'internal'), and
 * event-loop stalls.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { FileIo, FileIoProvider, ReadPayload } from '../../server/file-io.js';
import type { Logger } from '../../server/log.js';
import { noTelemetry, type Telemetry } from '../../server/telemetry.js';
import type { PageCache } from '../../cache/index.js';

/** Counts READ payloads that are out (handed to the SMB core and not yet released). */
export class PayloadCounter implements FileIoProvider {
  live = 0;

  constructor(private readonly inner: FileIoProvider) {}

  async open(absolutePath: string, options: { writable: boolean }): Promise<FileIo> {
    return countingFileIo(await this.inner.open(absolutePath, options), this);
  }

  flushAll(): Promise<void> {
    return this.inner.flushAll();
  }
}

function countingFileIo(inner: FileIo, counter: PayloadCounter): FileIo {
  return {
    async read(offset, length): Promise<ReadPayload> {
      const payload = await inner.read(offset, length);
      counter.live++;
      let released = false;
      return {
        ...payload,
        release() {
          if (!released) {
            released = true;
            counter.live--;
          }
          payload.release();
        },
      };
    },
    write: (offset, data) => inner.write(offset, data),
    flush: () => inner.flush(),
    setSize: (size) => inner.setSize(size),
    size: () => inner.size(),
    close: () => inner.close(),
  };
}

/** Pages pinned by readers: SPLICED pages plus bounce copies handed out. 0 when idle. */
export function pinnedPages(cache: PageCache): number {
  const c = cache.counters();
  return c.splicedPages + c.pages.bounce;
}

/** Server-side errors the fuzzer treats as crashes. */
export class ErrorSink {
  readonly errors: string[] = [];
  internal = 0;

  logger(): Logger {
    const sink = this;
    const log: Logger = {
      debug() {},
      info() {},
      warn() {},
      error(obj, msg) {
        const err = typeof obj === 'object' && obj !== null ? (obj as { err?: Error }).err : undefined;
        sink.errors.push(`${msg ?? (typeof obj === 'string' ? obj : '')}${err ? `: ${err.stack ?? err.message}` : ''}`);
      },
      child: () => log,
    };
    return log;
  }

  telemetry(): Telemetry {
    return {
      ...noTelemetry,
      protocolError: (kind: string) => {
        if (kind === 'internal') this.internal++;
      },
    };
  }

  /**
   * Count uncaught exceptions and unhandled rejections of this process as server crashes
   * (the server runs in-process; a real one would have died). Returns the unhook.
   */
  catchProcessFaults(): () => void {
    const onFault = (err: unknown): void => {
      this.internal++;
      const e = err as Error & { code?: string; syscall?: string };
      this.errors.push(`uncaught: ${e?.stack ?? String(err)}${e?.code ? ` (${e.code} ${e.syscall ?? ''})` : ''}`);
    };
    process.on('uncaughtException', onFault);
    process.on('unhandledRejection', onFault);
    return () => {
      process.off('uncaughtException', onFault);
      process.off('unhandledRejection', onFault);
    };
  }

  /** Errors since `mark` (a previous errors.length). */
  since(mark: number): string[] {
    return this.errors.slice(mark);
  }
}

/** Event-loop delay, read and reset per input. */
export class StallMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.h.enable();
  }

  /** Largest delay (ms) since the last call. */
  takeMaxMs(): number {
    const ms = this.h.max / 1e6;
    this.h.reset();
    return ms;
  }

  stop(): void {
    this.h.disable();
  }
}
