/** The server under fuzz: in-process on a loopback port, over the page cache, with probes attached. */
import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../server-fixture.js';
import { CacheFileIoProvider, PageCache } from '../../../cache/index.js';
import { ErrorSink, PayloadCounter, pinnedPages } from './probes.js';

export const BIG_FILE_BYTES = 9 * 1024 * 1024;

export interface Target {
  fixture: ServerFixture;
  port: number;
  cache: PageCache;
  payloads: PayloadCounter;
  errors: ErrorSink;
  /** Server-side connections still alive. */
  connections(): number;
  pinned(): number;
  /** Put back the files every case opens (a fuzz case may delete or rename them). */
  restoreFixtures(): Promise<void>;
  /** Stop the server; false when it did not finish within the bound (then its memory is dropped anyway). */
  close(): Promise<boolean>;
}

async function missing(p: string, size?: number): Promise<boolean> {
  try {
    const st = await stat(p);
    return size !== undefined && st.size !== size;
  } catch {
    return true;
  }
}

async function restoreFixtures(dir: string): Promise<void> {
  const at = (name: string): string => path.join(dir, name);
  if (await missing(at('small.txt'))) await writeFile(at('small.txt'), 'fuzz target small file\n'.repeat(400));
  if (await missing(at('big.bin'), BIG_FILE_BYTES)) await writeFile(at('big.bin'), Buffer.alloc(BIG_FILE_BYTES, 0x5a));
  await mkdir(at('scratch'), { recursive: true });
  if (await missing(at('dir/f0.txt'))) {
    await rm(at('dir'), { recursive: true, force: true });
    await mkdir(at('dir'));
    for (let i = 0; i < 5; i++) await writeFile(at(`dir/f${i}.txt`), `file ${i}`);
  }
  // SET_INFO may have set READONLY (kept in the mode bits), which refuses the setup's opens for writing.
  for (const [name, mode] of [['small.txt', 0o644], ['big.bin', 0o644], ['dir', 0o755], ['scratch', 0o755], ['.', 0o755]] as const) {
    await chmod(at(name), mode).catch(() => undefined);
  }
}

/** How long a server shutdown may take. */
const CLOSE_MS = 3000;

async function within(ms: number, work: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const done = work().then(() => true as const, () => true as const);
  const r = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return r;
}

export async function startTarget(): Promise<Target> {
  const cache = new PageCache({ maxBytes: 64 * 1024 * 1024 });
  const payloads = new PayloadCounter(new CacheFileIoProvider(cache));
  const errors = new ErrorSink();
  const unhook = errors.catchProcessFaults();
  const fixture = await startServer({}, { fileIo: payloads, log: errors.logger(), telemetry: errors.telemetry() });
  await restoreFixtures(fixture.dir);
  return {
    fixture,
    port: fixture.port,
    cache,
    payloads,
    errors,
    connections: () => fixture.server.status().connections.length,
    pinned: () => pinnedPages(cache),
    restoreFixtures: () => restoreFixtures(fixture.dir),
    async close() {
      const clean = await within(CLOSE_MS, async () => {
        await fixture.close();
        await cache.shutdown().catch(() => undefined);
      });
      if (!clean) {
        // A leaked pin makes shutdown's writeback wait forever; free what we can and go on.
        cache.destroy();
        await rm(fixture.dir, { recursive: true, force: true });
        await rm(fixture.roDir, { recursive: true, force: true });
      }
      unhook();
      return clean;
    },
  };
}
