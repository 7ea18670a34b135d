/**
 * Shutdown order for a listener whose connections hold verbs resources (SMB Direct):
 * stop accepting, let the server drain and disconnect its connections, and only then close
 * the listener, which flushes outstanding work requests and releases QPs, CQs, MRs and the
 * PD. The server flushes the cache after every listener closed, and the cache's slabs are
 * freed after that, so no slab goes while an MR still covers it.
 *
 * SmbServer.close() calls every listener's close() first and awaits it after the
 * connections are gone; this wrapper turns that call into "stop accepting now, release once
 * no connection of this transport is left (or the wait is over)".
 */
import type { Transport, TransportListener } from '../server/transport.js';

export interface DrainOptions {
  /** Connections of this listener the server still serves. */
  live(): number;
  /** Longest wait for them before closing anyway (the server has dropped them by then). */
  maxWaitMs: number;
  /** Called at each step, for logs and tests. */
  onStep?(step: 'stop-accepting' | 'drained' | 'released'): void;
}

const POLL_MS = 10;

export function closeAfterDrain(inner: TransportListener, opts: DrainOptions): TransportListener {
  let closing: Promise<void> | undefined;
  let accepting = true;
  const drained = async (): Promise<void> => {
    const deadline = Date.now() + opts.maxWaitMs;
    while (opts.live() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
  };
  return {
    kind: inner.kind,
    listen(onConnection: (t: Transport) => void) {
      return inner.listen((t) => (accepting ? onConnection(t) : t.disconnect()));
    },
    close() {
      return (closing ??= (async () => {
        accepting = false;
        opts.onStep?.('stop-accepting');
        await drained();
        opts.onStep?.('drained');
        await inner.close();
        opts.onStep?.('released');
      })());
    },
  };
}
