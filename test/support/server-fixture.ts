import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SmbServer, type SmbServerDeps } from '../../server/smb-server.js';
import { DEFAULT_LIMITS, type ServerOptions, type ShareConfig } from '../../server/options.js';
import { MemoryUserDb } from '../../auth/user-db.js';
import { ntHash } from '../../auth/nt-hash.js';
import { CacheFileIoProvider, PageCache } from '../../cache/index.js';
import type { FileIoProvider } from '../../server/file-io.js';
import type { HostFs } from '../../server/host-fs.js';
import { loadFsBinding } from '../../native/fs.js';

export const TEST_USER = 'alice';
export const TEST_PASSWORD = 'Wonder-land 7';

export interface ServerFixture {
  server: SmbServer;
  port: number;
  /** Root of the writable guest-ok share 'share'. */
  dir: string;
  /** Root of the read-only share 'ro'. */
  roDir: string;
  options: ServerOptions;
  close(): Promise<void>;
}

function testOptions(dir: string, roDir: string, overrides: Partial<ServerOptions> = {}): ServerOptions {
  const share = (name: string, p: string, extra: Partial<ShareConfig> = {}): ShareConfig => ({
    name, path: p, readOnly: false, guestOk: true, validUsers: [], browseable: true, comment: '', ...extra,
  });
  return {
    serverName: 'SPLICED',
    workgroup: 'WORKGROUP',
    bindAddresses: ['127.0.0.1'],
    tcpPort: 0,
    rdmaPort: 0,
    minDialect: 0x0202,
    maxDialect: 0x0311,
    signing: 'auto',
    mapToGuest: 'bad user',
    maxIoSize: 8 * 1024 * 1024,
    cacheBytes: 64 * 1024 * 1024,
    shares: [share('share', dir), share('ro', roDir, { readOnly: true }), share('private', dir, { guestOk: false, validUsers: [TEST_USER] })],
    interfaces: [{ address: '127.0.0.1', speed: 10_000_000_000, rdmaCapable: true, rssCapable: false }],
    users: new MemoryUserDb([{ name: TEST_USER, ntHash: ntHash(TEST_PASSWORD) }]),
    limits: { ...DEFAULT_LIMITS },
    ...overrides,
  };
}

/**
 * The server tests run over the page cache, as `spliced serve` does.
 * SPLICED_TEST_FILE_IO=direct runs them over plain positional file I/O instead.
 */
function fileIoFromEnv(): { fileIo?: FileIoProvider; shutdown(): Promise<void> } {
  if (process.env.SPLICED_TEST_FILE_IO === 'direct') return { shutdown: async () => {} };
  const cache = new PageCache({ maxBytes: 128 * 1024 * 1024 });
  return { fileIo: new CacheFileIoProvider(cache), shutdown: () => cache.shutdown() };
}

/** The spliced_fs addon the server needs (the tests fail loudly without it, as serve does). */
export function testHostFs(): HostFs {
  const loaded = loadFsBinding();
  if ('error' in loaded) throw new Error(loaded.error);
  return loaded.binding;
}

/** An in-process server on an ephemeral loopback port over fresh temp-dir shares. */
export async function startServer(overrides: Partial<ServerOptions> = {}, deps: SmbServerDeps = {}): Promise<ServerFixture> {
  const dir = await mkdtemp(path.join(tmpdir(), 'spliced-share-'));
  const roDir = await mkdtemp(path.join(tmpdir(), 'spliced-ro-'));
  const options = testOptions(dir, roDir, overrides);
  const io = deps.fileIo ? { shutdown: async () => {} } : fileIoFromEnv();
  const server = new SmbServer(options, { fileIo: io.fileIo, hostFs: testHostFs(), ...deps });
  const { tcpPort } = await server.listen();
  return {
    server,
    port: tcpPort,
    dir,
    roDir,
    options,
    async close() {
      await server.close();
      await io.shutdown();
      await rm(dir, { recursive: true, force: true });
      await rm(roDir, { recursive: true, force: true });
    },
  };
}
