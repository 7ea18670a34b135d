import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, mkdir, rm, stat, utimes, writeFile, link } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRecordFromStats } from '../../smb2/info/from-stats.js';
import { fileTimeFromMs, fileTimeFromNs, msFromFileTime } from '../../smb2/info/filetime.js';

/** 1970-01-01 as FILETIME: 369 years of 100 ns ticks, [MS-DTYP] 2.3.3. */
const EPOCH_FT = 11_644_473_600n * 10_000_000n;

test('FILETIME conversions', () => {
  assert.equal(fileTimeFromMs(0), EPOCH_FT);
  assert.equal(fileTimeFromNs(0n), EPOCH_FT);
  // 2024-01-01T00:00:00Z is 1704067200 s after 1970.
  const ms = Date.UTC(2024, 0, 1);
  assert.equal(fileTimeFromMs(ms), EPOCH_FT + 1_704_067_200n * 10_000_000n);
  assert.equal(fileTimeFromMs(ms + 0.5), EPOCH_FT + 1_704_067_200n * 10_000_000n + 5000n);
  assert.equal(fileTimeFromMs(1.0001), EPOCH_FT + 10_001n);
  assert.equal(fileTimeFromNs(1_704_067_200_123_456_789n), EPOCH_FT + 17_040_672_001_234_567n);
  assert.equal(msFromFileTime(EPOCH_FT + 17_040_672_001_234_567n), 1_704_067_200_123.4567);
  assert.equal(msFromFileTime(fileTimeFromMs(ms)), ms);
  // Before 1970 rounds down to the tick; before 1601 clamps to 0.
  assert.equal(fileTimeFromNs(-150n), EPOCH_FT - 2n);
  assert.equal(fileTimeFromMs(-1), EPOCH_FT - 10_000n);
  assert.equal(fileTimeFromNs(-(EPOCH_FT * 100n) - 1000n), 0n);
  assert.equal(msFromFileTime(0n), -11_644_473_600_000);
});

test('fileRecordFromStats on a real file and directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'spliced-info-stats-'));
  try {
    const filePath = join(root, 'data.bin');
    await writeFile(filePath, Buffer.alloc(5000, 7));
    await link(filePath, join(root, 'hard-link.bin'));
    // Fixed, distinct access and modification times (seconds with a fraction).
    await utimes(filePath, 1_600_000_000.25, 1_700_000_000.5);
    const dirPath = join(root, 'sub');
    await mkdir(dirPath);

    const st = await stat(filePath, { bigint: true });
    const rec = fileRecordFromStats('data.bin', st);
    assert.equal(rec.name, 'data.bin');
    assert.equal(rec.isDirectory, false);
    assert.equal(rec.size, 5000);
    assert.equal(rec.allocationSize, 8192);
    assert.equal(rec.fileId, st.ino);
    assert.equal(rec.links, 2);
    assert.equal(rec.attributes, 0x20); // ARCHIVE, never NORMAL combined
    assert.equal(rec.lastAccessTime, EPOCH_FT + 16_000_000_002_500_000n);
    assert.equal(rec.lastWriteTime, EPOCH_FT + 17_000_000_005_000_000n);
    assert.equal(rec.changeTime, EPOCH_FT + st.ctimeNs / 100n);
    const birth = st.birthtimeNs > 0n ? st.birthtimeNs : st.ctimeNs;
    assert.equal(rec.creationTime, EPOCH_FT + birth / 100n);
    assert.ok(rec.creationTime <= rec.changeTime);

    const dst = await stat(dirPath, { bigint: true });
    const drec = fileRecordFromStats('sub', dst);
    assert.equal(drec.isDirectory, true);
    assert.equal(drec.attributes, 0x10);
    assert.equal(drec.size, 0);
    assert.equal(drec.allocationSize, 0);
    assert.equal(drec.fileId, dst.ino);
    assert.notEqual(drec.fileId, rec.fileId);
    assert.equal(drec.links, Number(dst.nlink));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('allocation sizes round up to 4096 at the boundaries', async () => {
  const root = await mkdtemp(join(tmpdir(), 'spliced-info-alloc-'));
  try {
    for (const [size, alloc] of [
      [0, 0],
      [1, 4096],
      [4095, 4096],
      [4096, 4096],
      [4097, 8192],
    ] as const) {
      const p = join(root, `f${size}`);
      await writeFile(p, Buffer.alloc(size));
      const rec = fileRecordFromStats(`f${size}`, await stat(p, { bigint: true }));
      assert.equal(rec.size, size);
      assert.equal(rec.allocationSize, alloc, `size ${size}`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a file the owner may not write is READONLY (ARCHIVE stays); writable files and directories are not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spliced-ro-'));
  try {
    const file = join(dir, 'f');
    await writeFile(file, 'x', { mode: 0o644 });
    assert.equal(fileRecordFromStats('f', await stat(file, { bigint: true })).attributes, 0x20);
    await chmod(file, 0o444);
    assert.equal(fileRecordFromStats('f', await stat(file, { bigint: true })).attributes, 0x21);
    await chmod(file, 0o244);
    assert.equal(fileRecordFromStats('f', await stat(file, { bigint: true })).attributes, 0x20);
    await mkdir(join(dir, 'd'), { mode: 0o555 });
    assert.equal(fileRecordFromStats('d', await stat(join(dir, 'd'), { bigint: true })).attributes, 0x10);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
