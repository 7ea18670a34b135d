/** Starting a real SmbServer (from server/smb-server.ts) wired to SplicedMetrics, for the ops tests. */
import { existsSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerOptions } from '../../server/options.js';
import type { SplicedMetrics } from '../../ops/metrics.js';
import type { ServerStatus } from '../../ops/http.js';

export const coreMissing = existsSync(new URL('../../server/smb-server.ts', import.meta.url)) ? false : 'SMB core not built yet';
export const smbclientMissing = existsSync('/usr/bin/smbclient') ? false : 'install smbclient (apt-get install smbclient) to run this test';

export interface RunningCore {
  tcpPort: number;
  status(): ServerStatus;
  reload(options: ServerOptions): void;
  close(): Promise<void>;
}

/** The server as `spliced serve` assembles it (page cache as FileIo), on an ephemeral port. */
export async function startCore(options: ServerOptions, metrics: SplicedMetrics): Promise<RunningCore> {
  const { assembleServer } = await import('../../ops/assemble.js');
  const server = assembleServer({ ...options, tcpPort: 0 }, metrics);
  const { tcpPort } = await server.smb.listen();
  return { tcpPort, status: () => server.smb.status(), reload: (o) => server.smb.reload(o), close: () => server.close() };
}

/** `smbclient -c COMMANDS` as a child process; resolves with its output. */
export function smbclient(port: number, share: string, commands: string, extra: string[] = ['-N']): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn('smbclient', [`//127.0.0.1/${share}`, '-p', String(port), '-m', 'SMB3', ...extra, '-c', commands], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}
