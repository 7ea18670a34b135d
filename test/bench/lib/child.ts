import type { ChildProcess } from 'node:child_process';
import { waitForPort } from '../../support/net.js';

/** A server process under benchmark: where it listens and how to stop it. */
export interface ServerProcess {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Wait until `child` listens on `port`, and wrap it; stop() sends SIGTERM and waits for exit. */
export async function serverProcess(child: ChildProcess, port: number, startupMs: number): Promise<ServerProcess> {
  await waitForPort(port, startupMs);
  return {
    port,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The benchmark share in smb.conf grammar, which Samba and spliced both read. */
export function benchShareSection(sharePath: string, writable = false): string[] {
  return ['[bench]', `  path = ${sharePath}`, `  read only = ${writable ? 'no' : 'yes'}`, '  guest ok = yes', ''];
}
