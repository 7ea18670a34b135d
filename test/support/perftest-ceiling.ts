// The host side of test/rdma/guest/perftest-ceiling.sh: its JSON record and how it is reported.

/** What test/rdma/guest/perftest-ceiling.sh measured for one tool. */
export interface PerftestCeiling {
  tool: string;
  size: number;
  iterations: number;
  attempts: number;
  calibrationFailures: number;
  exit: number;
  peak: number;
  average: number;
  wallclockMBps: number;
  source: 'perftest' | 'wallclock' | 'none';
}

/** One line that says what was measured and how: perftest's figure, or the wall clock after failed calibrations. */
export function describeCeiling(c: PerftestCeiling): string {
  const what = `${c.tool} over rxe0 (${c.size / 1024} KiB x ${c.iterations}, TCG guest)`;
  const retries = c.calibrationFailures ? `, after ${c.calibrationFailures} failed clock calibration(s) in ${c.attempts} attempts` : '';
  if (c.source === 'perftest') return `${what}: peak ${c.peak} MB/s, average ${c.average} MB/s (perftest${retries}); wall clock incl. set-up ${c.wallclockMBps} MB/s`;
  if (c.source === 'wallclock') return `${what}: ${c.wallclockMBps} MB/s by the wall clock incl. set-up (perftest's clock calibration failed in all ${c.attempts} attempts)`;
  return `${what}: the transfer failed (client exit ${c.exit})`;
}

/** The ceiling figure to report: perftest's average when calibrated, else the wall-clock lower bound. */
export function ceilingMBps(c: PerftestCeiling): number {
  return c.source === 'perftest' ? c.average : c.source === 'wallclock' ? c.wallclockMBps : 0;
}
