// writeRunsStat: fstat, positional writes of runs of buffers, fstat, in one thread-pool job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFsBinding, writeRunsStatted, type FsFdIdentity } from '../../native/fs.js';

const loaded = loadFsBinding();
if ('error' in loaded) throw new Error(loaded.error);
const fs = loaded.binding;

function identityOf(fd: number): FsFdIdentity {
  const st = fstatSync(fd, { bigint: true });
  return { size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, ino: st.ino };
}

async function withFile(body: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'spliced-write-runs-'));
  try {
    await body(join(dir, 'f.bin'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('runs land at their positions in order (a later run wins where they overlap), and more than IOV_MAX segments are written whole', async () => {
  await withFile(async (path) => {
    writeFileSync(path, Buffer.alloc(10_000, 0x11));
    const fd = openSync(path, 'r+');
    try {
      const before = identityOf(fd);
      const many = Array.from({ length: 3000 }, (_, k) => Buffer.alloc(3, k & 0xff)); // 9000 bytes in 3000 segments
      const tail = randomBytes(5000);
      const result = await writeRunsStatted(fs, fd, [20_000, 100, 150], [many, [Buffer.alloc(100, 0x22)], [tail.subarray(0, 10), Buffer.alloc(0), tail.subarray(10)]]);
      assert.deepEqual(result.before, before, 'the first fstat precedes the writes');
      assert.deepEqual(result.after, identityOf(fd), 'the second follows them');
      assert.equal(result.after.size, 29_000n);
      const expected = Buffer.alloc(29_000);
      expected.fill(0x11, 0, 10_000);
      expected.fill(0x22, 100, 200);
      tail.copy(expected, 150);
      Buffer.concat(many).copy(expected, 20_000);
      assert.deepEqual(readFileSync(path), expected);
    } finally {
      closeSync(fd);
    }
  });
});

test('a batch with no runs only stats the file', async () => {
  await withFile(async (path) => {
    writeFileSync(path, 'abc');
    const fd = openSync(path, 'r');
    try {
      const { before, after } = await writeRunsStatted(fs, fd, [], []);
      assert.deepEqual(before, identityOf(fd));
      assert.deepEqual(after, before);
    } finally {
      closeSync(fd);
    }
  });
});

test('errors reject with errno and the failing call: a closed descriptor at fstat, a read-only one at pwritev', async () => {
  await withFile(async (path) => {
    writeFileSync(path, 'abc');
    const closed = openSync(path, 'r');
    closeSync(closed);
    await assert.rejects(writeRunsStatted(fs, closed, [0], [[Buffer.from('x')]]), { code: 'EBADF', syscall: 'fstat' });
    const readOnly = openSync(path, 'r');
    try {
      await assert.rejects(writeRunsStatted(fs, readOnly, [0], [[Buffer.from('x')]]), { code: 'EBADF', syscall: 'pwritev' });
    } finally {
      closeSync(readOnly);
    }
    assert.equal(readFileSync(path, 'utf8'), 'abc');
  });
});

test('bad arguments are refused before any job starts', () => {
  const call = (...args: unknown[]) => (fs.writeRunsStat as unknown as (...a: unknown[]) => unknown)(...args);
  const ids = new BigInt64Array(8);
  assert.throws(() => call('1', [], [], ids), TypeError);
  assert.throws(() => call(1, [0], [], ids), RangeError);
  assert.throws(() => call(1, [-1], [[Buffer.alloc(1)]], ids), RangeError);
  assert.throws(() => call(1, [0], [['x']], ids), TypeError);
  assert.throws(() => call(1, [0], [Buffer.alloc(1)], ids), TypeError);
  assert.throws(() => call(1, [], []), TypeError, 'no identities array');
  assert.throws(() => call(1, [], [], new BigInt64Array(4)), TypeError, 'one too short');
  assert.throws(() => call(1, [], [], new Float64Array(8)), TypeError, 'not BigInt64');
});
