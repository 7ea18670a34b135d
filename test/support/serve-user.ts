// `spliced serve` started as root works as the `user` account (default nobody) once its ports are
// bound. Tests that run serve on a temp share hand the share to that account, as an admin would.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';

/** uid and gid of `nobody`, or null where there is no such account. */
export function nobodyIds(): { uid: number; gid: number } | null {
  const fields = spawnSync('getent', ['passwd', 'nobody'], { encoding: 'utf8' }).stdout.split(':');
  return fields.length < 4 ? null : { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Let serve's default account reach `work` and own `share` (nothing to do unless we are root). */
export function handShareToServeUser(work: string, share: string): void {
  if (process.getuid?.() !== 0) return;
  const ids = nobodyIds();
  if (!ids) return;
  chmodSync(work, 0o755);
  chownSync(share, ids.uid, ids.gid);
}
