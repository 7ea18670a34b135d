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

test('O_PATH opens run in place from the dentry cache; a walk it cannot finish, and every failure but ENOENT, go to the thread pool', async () => {
  const base = await mkdtemp(path.join(tmpdir(), 'spliced-root-cached-'));
  await mkdir(path.join(base, 'sub'));
  await writeFile(path.join(base, 'sub', 'f'), 'x');
  const real = testHostFs();
  const calls: string[] = [];
  let cachedAnswer: 'real' | 'again' | 'EXDEV' | 'ENOENT' = 'real';
  const fs = {
    ...real,
    constants: real.constants,
    openat2: (dirfd: number, p: string, flags: number, mode: number, resolve: number) => {
      calls.push(`pool ${p}`);
      return real.openat2(dirfd, p, flags, mode, resolve);
    },
    openat2Cached: (dirfd: number, p: string, flags: number, resolve: number) => {
      calls.push(`in place ${p}`);
      if (cachedAnswer === 'again') return -1;
      if (cachedAnswer !== 'real') throw Object.assign(new Error(cachedAnswer), { code: cachedAnswer, errno: 1 });
      return real.openat2Cached!(dirfd, p, flags, resolve);
    },
  };
  const share = new ShareRoot(base, fs);
  const c = real.constants;
  const opened = async (flags: number): Promise<string[]> => {
    calls.length = 0;
    closeSync(await share.open(['sub', 'f'], flags));
    return calls.filter((call) => !call.startsWith('pool /'));
  };
  try {
    await statusOf(share.open([], c.O_PATH)); // the root's own descriptor
    assert.deepEqual(await opened(c.O_PATH), ['in place sub/f'], 'a cached walk: no thread pool');
    assert.deepEqual(await opened(c.O_RDONLY), ['pool sub/f'], 'not O_PATH: a file system open method may wait');
    cachedAnswer = 'again';
    assert.deepEqual(await opened(c.O_PATH), ['in place sub/f', 'pool sub/f'], 'EAGAIN: the thread pool walks');
    cachedAnswer = 'EXDEV';
    assert.deepEqual(await opened(c.O_PATH), ['in place sub/f', 'pool sub/f'], 'the thread pool gives the authoritative answer');
    cachedAnswer = 'ENOENT';
    calls.length = 0;
    await assert.rejects(share.open(['sub', 'f'], c.O_PATH), { code: 'ENOENT' });
    assert.deepEqual(calls, ['in place sub/f'], 'a cached negative entry is final');
  } finally {
    await share.dispose();
    await rm(base, { recursive: true, force: true });
  }
});
