// The spliced server core in this process with the SMB Direct listener beside TCP, over a
// temp-dir share and a page cache on native (registrable) slabs; for the rxe guest tests.
import type { RdmaBinding } from '../../native/binding.js';
import { CacheFileIoProvider, NativeSlabAllocator, PageCache } from '../../cache/index.js';
import type { Logger } from '../../server/log.js';
import type { Telemetry } from '../../server/telemetry.js';
import type { Transport, TransportListener } from '../../server/transport.js';
import { createSmbDirectListener, type SmbDirectListener, type SmbDirectTuning } from '../../smbdirect/listener.js';
import { startServer, type ServerFixture } from './server-fixture.js';

export interface SmbDirectCounters {
  rdmaWriteBytes: number;
  rdmaReadBytes: number;
  creditStalls: number;
  protocolErrors: number;
}

export interface SmbDirectServer {
  fixture: ServerFixture;
  listener: SmbDirectListener;
  cache: PageCache;
  port: number;
  counters: SmbDirectCounters;
  /** Every warning and error the server logged ("msg: reason"). */
  warnings: string[];
  /** Pages pinned by readers (SPLICED plus bounce copies); 0 when idle. */
  pinnedPages(): number;
  close(): Promise<void>;
}

/** Optional test hooks: the server's telemetry, write-behind in the cache, and each accepted SMB Direct transport. */
export interface SmbDirectServerHooks {
  telemetry?: Telemetry;
  writeBehind?: boolean;
  /** Sees (and may patch) every transport the listener hands to the server, before the server does. */
  onTransport?: (t: Transport) => void;
}

/** Records warnings and errors; with SMBD_TEST_LOG=1 prints every line too. */
function recordingLogger(into: string[]): Logger {
  const line = (obj: object | string, msg?: string) => (typeof obj === 'string' ? obj : `${msg ?? ''}: ${JSON.stringify(obj)}`);
  const print = process.env.SMBD_TEST_LOG === '1' ? (l: string) => console.error(`[server] ${l}`) : () => {};
  const record = (obj: object | string, msg?: string) => {
    into.push(line(obj, msg));
    print(line(obj, msg));
  };
  const log: Logger = { debug: (o, m) => print(line(o, m)), info: (o, m) => print(line(o, m)), warn: record, error: record, child: () => log };
  return log;
}

/** The listener, with `see` called on each transport before the server gets it. */
function observed(listener: TransportListener, see: (t: Transport) => void): TransportListener {
  return {
    kind: listener.kind,
    listen: (onConnection) => listener.listen((t) => {
      see(t);
      onConnection(t);
    }),
    close: () => listener.close(),
  };
}

export async function startSmbDirectServer(binding: RdmaBinding, host: string, tuning: SmbDirectTuning & { zeroCopy?: boolean } = {}, hooks: SmbDirectServerHooks = {}): Promise<SmbDirectServer> {
  const cache = new PageCache({ allocator: new NativeSlabAllocator(binding), maxBytes: 48 * 1024 * 1024, slabBytes: 4 * 1024 * 1024, writebackIntervalMs: 0, writeBehind: hooks.writeBehind });
  const fixture = await startServer({ bindAddresses: [host] }, { fileIo: new CacheFileIoProvider(cache), telemetry: hooks.telemetry });
  const counters: SmbDirectCounters = { rdmaWriteBytes: 0, rdmaReadBytes: 0, creditStalls: 0, protocolErrors: 0 };
  const warnings: string[] = [];
  const listener = createSmbDirectListener({
    port: 0, addresses: [host], maxIoSize: fixture.options.maxIoSize, cache, binding, log: recordingLogger(warnings),
    metrics: {
      rdmaWrite: (n) => (counters.rdmaWriteBytes += n),
      rdmaRead: (n) => (counters.rdmaReadBytes += n),
      creditStall: () => counters.creditStalls++,
      protocolError: () => counters.protocolErrors++,
    },
    ...tuning,
  }) as SmbDirectListener;
  const { port } = await fixture.server.addListener(hooks.onTransport ? observed(listener, hooks.onTransport) : listener);
  return {
    fixture, listener, cache, port, counters, warnings,
    pinnedPages() {
      const c = cache.counters();
      return c.splicedPages + c.pages.bounce;
    },
    async close() {
      await fixture.close();
      await cache.shutdown();
    },
  };
}
