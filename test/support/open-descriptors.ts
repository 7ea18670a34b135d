// Which descriptors of this process are open on files below a folder: a leak check for code that
// takes descriptors over (the page cache, the FileIo providers).
import { readdirSync, readlinkSync } from 'node:fs';

export function descriptorsUnder(dir: string): number {
  let count = 0;
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed meanwhile (readdir's own descriptor)
    }
    if (target.startsWith(`${dir}/`)) count++;
  }
  return count;
}

/** Poll until `check` holds (descriptors are closed asynchronously), at most ~2 s. */
export async function eventually(check: () => boolean): Promise<boolean> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  return check();
}
