/**
 * The two servers the benchmark table compares, behind one interface: spliced (one process) and
 * a private Samba smbd (a process group: smbd forks per connection). CPU and resident memory are
 * read from /proc.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../support/net.js';
import type { ServerProcess } from './child.js';
import { startSamba } from './samba.js';
import { startSpliced } from './spliced.js';
import { processCpuSeconds, processGroupCpuSeconds, processGroupMembers } from './stats.js';

export interface Side {
  readonly name: 'spliced' | 'samba';
  readonly port: number;
  cpuSeconds(): number;
  /** Resident bytes of the server now (the whole group for Samba). */
  residentBytes(): number;
  stop(): Promise<void>;
}

const PAGE_SIZE = 4096;

function vmRssBytes(pid: string | number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0; // exited meanwhile
  }
}

function groupResidentBytes(pgid: number): number {
  return processGroupMembers(pgid).reduce((bytes, m) => bytes + vmRssBytes(m.pid), 0);
}

export class SplicedSide implements Side {
  readonly name = 'spliced';
  private constructor(
    private readonly server: ServerProcess,
    private readonly metricsPort: number,
  ) {}

  static async start(workDir: string, share: string, cacheBytes: number): Promise<SplicedSide> {
    const dir = join(workDir, 'spliced');
    mkdirSync(dir, { recursive: true });
    const metricsPort = await freePort();
    const globals = [`cache size = ${Math.floor(cacheBytes / 1024 / 1024)}M`, 'map to guest = bad user'];
    return new SplicedSide(await startSpliced(dir, share, await freePort(), globals, true, metricsPort), metricsPort);
  }

  get port(): number {
    return this.server.port;
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.server.pid);
  }

  residentBytes(): number {
    return vmRssBytes(this.server.pid);
  }

  /** Bytes of the pages the page cache has carved from its slabs, used or free (metric spliced_cache_carved_pages). */
  async cacheHeldBytes(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
    const match = /^spliced_cache_carved_pages (\d+)/m.exec(text);
    if (!match) throw new Error('spliced_cache_carved_pages is missing from /metrics');
    return Number(match[1]) * PAGE_SIZE;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}

export class SambaSide implements Side {
  readonly name = 'samba';
  private constructor(private readonly server: ServerProcess) {}

  static async start(workDir: string, share: string): Promise<SambaSide> {
    return new SambaSide(await startSamba(join(workDir, 'samba'), share, await freePort(), true));
  }

  get port(): number {
    return this.server.port;
  }

  cpuSeconds(): number {
    return processGroupCpuSeconds(this.server.pid);
  }

  residentBytes(): number {
    return groupResidentBytes(this.server.pid);
  }

  stop(): Promise<void> {
    return this.server.stop();
  }
}
