/**
 * The embedded default: what `spliced serve` runs with no config file. One guest-writable
 * `demo` share in a directory created on start, signing offered but never required,
 * so `smbclient //127.0.0.1/demo -p 4450 -N` works out of the box.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryUserDb } from '../auth/user-db.js';
import { DEFAULT_LIMITS } from '../server/options.js';
import { CONFIG_DEFAULTS, type SplicedConfig } from './config-keys.js';

export const DEMO_SHARE_NAME = 'demo';
const SAMPLE_BYTES = 256 * 1024;

const README_TEXT = `This is the spliced demo share.

It is served by the embedded default configuration: guest access, writable.
Try:
  smbclient //127.0.0.1/demo -p 4450 -N -c 'ls; get sample.bin /dev/null'

Write your own spliced.conf (smb.conf grammar) and run:
  spliced check-config spliced.conf
  spliced serve --config spliced.conf
`;

export function demoDirectory(): string {
  return process.env.SPLICED_DEMO_DIR || join(tmpdir(), 'spliced-demo');
}

/** A recognisable pattern (each 4-byte word holds its own offset) so a reader can check what it got. */
function samplePattern(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  for (let off = 0; off + 4 <= bytes; off += 4) buf.writeUInt32LE(off, off);
  return buf;
}

/** What prepareDemoDirectory creates: handed to the unprivileged account when serve runs as root. */
export const DEMO_SEED_FILES = ['README.txt', 'sample.bin'] as const;

/** Create the demo directory and seed it; files already there are left alone. */
export function prepareDemoDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const readme = join(dir, 'README.txt');
  if (!existsSync(readme)) writeFileSync(readme, README_TEXT);
  const sample = join(dir, 'sample.bin');
  if (!existsSync(sample)) writeFileSync(sample, samplePattern(SAMPLE_BYTES));
}

export function defaultConfig(): SplicedConfig {
  const path = demoDirectory();
  prepareDemoDirectory(path);
  return {
    options: {
      serverName: CONFIG_DEFAULTS.serverName,
      workgroup: CONFIG_DEFAULTS.workgroup,
      bindAddresses: ['0.0.0.0'],
      tcpPort: CONFIG_DEFAULTS.tcpPort,
      rdmaPort: CONFIG_DEFAULTS.rdmaPort,
      minDialect: CONFIG_DEFAULTS.minDialect,
      maxDialect: CONFIG_DEFAULTS.maxDialect,
      signing: 'auto',
      mapToGuest: 'bad user',
      maxIoSize: CONFIG_DEFAULTS.maxIoSize,
      cacheBytes: CONFIG_DEFAULTS.cacheBytes,
      shares: [
        { name: DEMO_SHARE_NAME, path, readOnly: false, guestOk: true, validUsers: [], browseable: true, comment: 'spliced demo share' },
      ],
      interfaces: [],
      users: new MemoryUserDb(),
      limits: { ...DEFAULT_LIMITS },
    },
    metricsAddress: { ...CONFIG_DEFAULTS.metricsAddress },
    warnings: [],
    mapToGuest: 'bad user',
    logLevel: CONFIG_DEFAULTS.logLevel,
    logFormat: CONFIG_DEFAULTS.logFormat,
    runAsUser: CONFIG_DEFAULTS.runAsUser,
    source: '(embedded default)',
    rdma: { auto: true, zeroCopy: true, limits: { ...CONFIG_DEFAULTS.smbDirect } },
  };
}
