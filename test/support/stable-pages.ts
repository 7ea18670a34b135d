/** Shared by the stable-pages tests (unit: through the FileIo provider; interop: through the server with smbclient). */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 11 + seed * 17 + (i >> 10)) & 0xff;
  return out;
}

export function sha(chunks: Buffer[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'spliced-stable-'));
}

/** Run `source` (an ES module) in a child node with tsx; resolves once it prints "ready". */
export function spawnChild(source: string, args: string[], dir: string): Promise<{ child: ReturnType<typeof spawn>; line: string; exited: Promise<NodeJS.Signals | null> }> {
  return writeFile(join(dir, 'child.mjs'), source).then(
    () =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(dir, 'child.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<NodeJS.Signals | null>((done) => child.on('exit', (_code, signal) => done(signal)));
        let out = '';
        let err = '';
        child.stderr!.on('data', (d) => (err += d));
        child.stdout!.on('data', (d) => {
          out += d;
          const ready = /^ready(.*)$/m.exec(out);
          if (ready) resolve({ child, line: ready[1].trim(), exited });
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)));
      }),
  );
}
