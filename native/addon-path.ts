// Where a built addon may be, for both addons: $<envVar>, else native/build next to the sources,
// else the nearest native/build above a compiled copy (dist/, or the VM suites' .cache/vm/*-dist/).
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function addonCandidates(fileName: string, envVar: string, moduleUrl: string): string[] {
  const fromEnv = process.env[envVar];
  if (fromEnv) return [resolve(fromEnv)];
  const addon = join('build', 'Release', fileName);
  const here = dirname(fileURLToPath(moduleUrl));
  const candidates = [join(here, addon)];
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    candidates.push(join(dir, 'native', addon));
    if (dirname(dir) === dir) return candidates;
  }
}
