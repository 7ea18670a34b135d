/**
 * What the fuzzer watches on the server side without touching server or cache code:
 * READ payloads handed out and not released (a wrapper around the FileIoProvider), the
 * cache's pinned-page gauge (SPLICED and bounce pages, idle value 0), internal errors
 * (logged 'request processing failed' and counted as protocol error 'internal'), and
 * event-loop stalls.
 */
import { performance } from 'node:perf_hooks';
import type { FileIo, FileIoProvider, ReadPayload } from '../../../server/file-io.js';
import type { Logger } from '../../../server/log.js';
import { noTelemetry, type Telemetry } from '../../../server/telemetry.js';
import type { PageCache } from '../../../cache/index.js';

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

/**
 * Event-loop stalls, from a 10 ms interval timer: the longest gap beyond its period, and
 * the gap still open when read. (monitorEventLoopDelay's histogram missed single long blocks.)
 */
export class StallMonitor {
  private static readonly PERIOD_MS = 10;
  private last = performance.now();
  private max = 0;
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.tick(), StallMonitor.PERIOD_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    this.max = Math.max(this.max, now - this.last - StallMonitor.PERIOD_MS);
    this.last = now;
  }

  /** Longest stall (ms) since the last call. */
  takeMaxMs(): number {
    this.tick();
    const ms = this.max;
    this.max = 0;
    return ms;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
