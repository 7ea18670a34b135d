/**
 * A tiny progress bar on stderr for long benchmark work. On a terminal it redraws one
 * line (at most every 100 ms); elsewhere (CI logs, pipes) it prints only the final line.
 *
 *   const bar = progressBar({ label: 'reading', total: bytes, unit: 'bytes' });
 *   bar.tick(n); ... bar.done();
 */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** 'bytes' shows MiB and MiB/s; 'items' shows plain counts. */
  unit?: 'bytes' | 'items';
  stream?: ProgressStream;
  /** Force terminal-style redrawing (default: the stream's isTTY). */
  interactive?: boolean;
}

export interface ProgressBar {
  tick(amount?: number): void;
  update(completed: number): void;
  done(): void;
  readonly completed: number;
}

const REDRAW_MS = 100;

function amount(n: number, unit: 'bytes' | 'items'): string {
  return unit === 'bytes' ? `${(n / 1024 / 1024).toFixed(1)} MiB` : String(n);
}

export function renderProgressLine(label: string, completed: number, total: number, seconds: number, unit: 'bytes' | 'items', width: number): string {
  const fraction = total > 0 ? Math.min(1, completed / total) : 1;
  const rate = seconds > 0 ? completed / seconds : 0;
  const rateText = unit === 'bytes' ? `${(rate / 1024 / 1024).toFixed(1)} MiB/s` : `${rate.toFixed(1)}/s`;
  const tail = ` ${(fraction * 100).toFixed(0).padStart(3)}% ${amount(completed, unit)}/${amount(total, unit)} ${rateText}`;
  const barWidth = Math.max(10, Math.min(40, width - label.length - tail.length - 4));
  const filled = Math.round(fraction * barWidth);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${tail}`;
}

export function progressBar(options: ProgressOptions): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? 'items';
  const interactive = options.interactive ?? Boolean(stream.isTTY);
  const started = Date.now();
  let completed = 0;
  let lastDraw = 0;
  let finished = false;
  const line = (): string =>
    renderProgressLine(options.label, completed, options.total, (Date.now() - started) / 1000, unit, stream.columns ?? 80);
  const draw = (force: boolean): void => {
    const now = Date.now();
    if (!interactive || (!force && now - lastDraw < REDRAW_MS)) return;
    lastDraw = now;
    stream.write(`\r${line()}\x1b[K`);
  };
  return {
    tick(n = 1) {
      completed += n;
      draw(false);
    },
    update(value) {
      completed = value;
      draw(false);
    },
    done() {
      if (finished) return;
      finished = true;
      stream.write(interactive ? `\r${line()}\x1b[K\n` : `${line()}\n`);
    },
    get completed() {
      return completed;
    },
  };
}
