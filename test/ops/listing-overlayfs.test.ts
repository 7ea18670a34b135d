// A share on overlayfs, as in a container whose image provides the files: a directory that the
// image (lower layer) provides is a merged directory, whose getdents64 offsets are positions in
// a list rebuilt when it changes. A listing that seeks back by offset skips entries once earlier
// ones are removed (the same holds for tmpfs before Linux 6.6); one that keeps reading its own
// descriptor does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { SmbError } from '../../client/connection.js';
import { parseDirectoryInformation } from '../../client/index.js';
import { Access, CreateOption, QueryDirectoryFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';

/** [MS-FSCC] 2.4.10 FileDirectoryInformation. */
const FILE_DIRECTORY_INFORMATION = 1;
const COUNT = 2000;

const root = process.getuid?.() === 0;
if (!root) console.log('# mounting overlayfs needs root; run the ops suite as root (CI does) to enable the overlayfs listing test');

function mountOverlay(base: string): string {
  for (const d of ['lower/d', 'upper', 'work', 'merged']) mkdirSync(join(base, d), { recursive: true });
  for (let i = 0; i < COUNT; i++) writeFileSync(join(base, 'lower/d', `file-${i}`), '');
  const options = `lowerdir=${join(base, 'lower')},upperdir=${join(base, 'upper')},workdir=${join(base, 'work')}`;
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, join(base, 'merged')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount -t overlay: ${r.stderr}`);
  return join(base, 'merged');
}

test('listing a merged overlayfs directory while its entries are removed returns every entry once', { skip: !root, timeout: 120_000 }, async () => {
  const base = mkdtempSync(join(tmpdir(), 'spliced-overlay-'));
  const merged = mountOverlay(base);
  const share = { name: 'share', path: merged, readOnly: false, guestOk: true, validUsers: [], browseable: true, comment: '' };
  const f = await startServer({ shares: [share] });
  try {
    const { c, tree } = await treeClient(f);
    const h = (await tree.create('d', { desiredAccess: Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES, createOptions: CreateOption.DIRECTORY_FILE })).fileId;
    const seen = new Set<string>();
    for (let flags = QueryDirectoryFlag.RESTART_SCANS; ; flags = 0) {
      let got: Buffer;
      try {
        got = await tree.queryDirectory(h, '*', FILE_DIRECTORY_INFORMATION, flags, 4096);
      } catch (err) {
        if (err instanceof SmbError && err.status === Status.NO_MORE_FILES) break;
        throw err;
      }
      for (const e of parseDirectoryInformation(got)) {
        if (e.name === '.' || e.name === '..') continue;
        assert.ok(!seen.has(e.name), `${e.name} twice`);
        seen.add(e.name);
        unlinkSync(join(merged, 'd', e.name)); // a whiteout in the upper layer: the merged list changes
      }
    }
    assert.equal(seen.size, COUNT, 'every entry listed once, none skipped');
    assert.deepEqual(readdirSync(join(merged, 'd')), []);
    await tree.close(h);
    c.close();
  } finally {
    await f.close();
    spawnSync('umount', [join(base, 'merged')]);
    rmSync(base, { recursive: true, force: true });
  }
});
