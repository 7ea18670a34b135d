// A file's descriptor never closes on the event loop. Its release may write the file back there:
// ext4 flushes a file truncated to zero (or replaced by rename) and rewritten at the first close
// of any of its descriptors (auto_da_alloc), XFS a truncated one; measured, a CLOSE after a
// 1 GiB overwrite held every client for 0.32 s. O_PATH descriptors and directories have no such
// release work and may close in place.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { descriptorsUnder, eventually } from '../support/open-descriptors.js';
import { Access, CreateDisposition, CreateOption } from '../../smb2/constants.js';

/** O_PATH in /proc/self/fdinfo's octal flags (x86-64 and arm64). */
const O_PATH = 0o10000000;

interface InPlaceClose {
  regularFile: boolean;
  path: boolean;
}

const inPlace: InPlaceClose[] = [];
const realCloseSync = fs.closeSync;

function descriptorKind(fd: number): InPlaceClose | null {
  try {
    const flags = /^flags:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return { regularFile: fs.fstatSync(fd).isFile(), path: flags !== null && (parseInt(flags[1], 8) & O_PATH) !== 0 };
  } catch {
    return null; // not open: the real close reports it
  }
}

let f: ServerFixture;
before(async () => {
  mock.method(fs, 'closeSync', (fd: number) => {
    const seen = descriptorKind(fd);
    if (seen) inPlace.push(seen);
    realCloseSync(fd);
  });
  syncBuiltinESMExports(); // the server's `import { closeSync } from 'node:fs'` sees the wrapper
  f = await startServer();
});
after(async () => {
  await f.close();
  mock.restoreAll();
  syncBuiltinESMExports();
});

const DATA = Buffer.alloc(256 * 1024, 0x5a);
const READ_WRITE = (Access.GENERIC_READ | Access.GENERIC_WRITE) >>> 0;

test('CLOSE of files written, overwritten and read closes no file descriptor on the event loop', async () => {
  const { c, tree } = await treeClient(f);
  for (const name of ['written', 'overwritten']) {
    const created = await tree.create(name, { desiredAccess: READ_WRITE, disposition: CreateDisposition.OVERWRITE_IF });
    await tree.writeRange(created.fileId, 0, DATA);
    await tree.close(created.fileId);
  }
  // Overwrite: truncated to zero at CREATE, then rewritten, as Office and smbclient `put` do.
  const again = await tree.create('overwritten', { desiredAccess: READ_WRITE, disposition: CreateDisposition.OVERWRITE });
  await tree.writeRange(again.fileId, 0, DATA);
  const reader = await tree.create('overwritten', { desiredAccess: Access.GENERIC_READ >>> 0 });
  assert.deepEqual(await tree.readRange(reader.fileId, 0, DATA.length), DATA);
  await tree.close(reader.fileId); // the first close after the truncation: the reader's
  await tree.close(again.fileId, true);
  const dir = await tree.create('folder', { disposition: CreateDisposition.OPEN_IF, createOptions: CreateOption.DIRECTORY_FILE });
  await tree.close(dir.fileId);
  c.close();
  assert.ok(await eventually(() => descriptorsUnder(f.dir) === 0), 'every descriptor of the share is closed');
  assert.ok(inPlace.some((x) => x.path), 'the CREATEs closed their O_PATH descriptors in place (the hook sees closes)');
  const files = inPlace.filter((x) => x.regularFile && !x.path);
  assert.equal(files.length, 0, `${files.length} regular-file descriptors closed on the event loop`);
  assert.deepEqual(fs.readFileSync(`${f.dir}/overwritten`), DATA);
});
