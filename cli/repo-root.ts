import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The spliced package directory, found from this file whether run from cli/ (tsx) or dist/cli/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'spliced') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the spliced package directory');
    dir = parent;
  }
}
