import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { mkdtemp, mkdir, symlink, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ShareRoot, hostFailure, splitSharePath } from '../../server/share-root.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import { testHostFs } from '../support/server-fixture.js';

async function statusOf(p: Promise<number>): Promise<number> {
  try {
    closeSync(await p);
    return Status.SUCCESS;
  } catch (err) {
    return hostFailure(err, true).status;
  }
}

test('ShareRoot opens beneath its root: inside symlinks followed, ways out ACCESS_DENIED', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'spliced-root-'));
  const root = path.join(base, 'root');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await writeFile(path.join(base, 'outside.txt'), 'x');
  await symlink(path.join(base, 'outside.txt'), path.join(root, 'out'));
  await symlink(base, path.join(root, 'up'));
  await symlink('sub', path.join(root, 'in'));
  await symlink('../outside.txt', path.join(root, 'rel-out'));
  const share = new ShareRoot(root, testHostFs());
  const c = share.fs.constants;
  try {
    assert.equal(await statusOf(share.open(splitSharePath('in'), c.O_PATH | c.O_DIRECTORY)), Status.SUCCESS);
    assert.equal(await statusOf(share.open([], c.O_PATH)), Status.SUCCESS, 'the root itself');
    for (const name of ['out', 'up\\outside.txt', 'rel-out']) {
      assert.equal(await statusOf(share.open(splitSharePath(name), c.O_PATH)), Status.ACCESS_DENIED, name);
    }
    assert.equal(await statusOf(share.open(splitSharePath('missing\\x'), c.O_PATH)), Status.OBJECT_PATH_NOT_FOUND);
  } finally {
    await share.dispose();
    await rm(base, { recursive: true, force: true });
  }
});

test('a lone UTF-16 surrogate in a name is OBJECT_NAME_INVALID, not U+FFFD (issue 9 item 10)', () => {
  for (const bad of ['a\uD800b', 'x\\\uDC00', 'end\uDBFF', '\uDFFFstart']) {
    assert.throws(() => splitSharePath(bad), (e: unknown) => e instanceof SmbStatusError && e.status === Status.OBJECT_NAME_INVALID, JSON.stringify(bad));
  }
  assert.deepEqual(splitSharePath('ok\uD83D\uDE00'), ['ok\uD83D\uDE00'], 'a surrogate pair is a valid name');
});
