// The cache's page rules seen through SMB Direct: a READ of a file with one dirty (and one
// mapped) page copies exactly those pages and sends the rest from the cache zero-copy; and a
// write that lands while the RDMA WRITEs of a READ are in flight copies the spliced pages on
// write, so the client gets the bytes as they were at splice time and the file the new ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_SIZE, PageFlag } from '../../../cache/index.js';
import { noTelemetry, type DataPath, type Telemetry, type TransportKind } from '../../../server/telemetry.js';
import { startSmbDirectServer, type SmbDirectServer, type SmbDirectServerHooks } from '../../support/smbdirect-server.js';
import { GUEST_IP, withTimeout } from './helpers.js';
import { READ_WRITE, binding, rdmaWriteHook, session, sha, until, type Session } from './smbdirect-session.js';

const MiB = 1024 * 1024;

interface ReadRecord {
  transport: TransportKind;
  path: DataPath;
  bytes: number;
  copied?: Readonly<Record<string, number>>;
}

function recordingTelemetry(reads: ReadRecord[]): Telemetry {
  return { ...noTelemetry, readBytes: (transport, path, bytes, copied) => reads.push({ transport, path, bytes, copied: copied && { ...copied } }) };
}

/** A server of its own (cache included) for one test; closed after `body`, pinned pages checked idle first. */
async function withServer(hooks: SmbDirectServerHooks, body: (srv: SmbDirectServer, s: Session) => Promise<void>): Promise<void> {
  const b = binding();
  const srv = await startSmbDirectServer(b, GUEST_IP, {}, hooks);
  try {
    const s = await session(srv, b);
    try {
      await body(srv, s);
    } finally {
      await s.transport.shutdown();
    }
    await until('pinned pages back to idle', () => srv.pinnedPages() === 0);
    assert.deepEqual(srv.warnings, [], 'the server logged no warning');
  } finally {
    await srv.close();
  }
}

test('RDMA READ of a 1 MiB cached file with one dirty page copies exactly that page (dirty), then one mapped page too (mapped)', async () => {
  const reads: ReadRecord[] = [];
  await withServer({ writeBehind: true, telemetry: recordingTelemetry(reads) }, async (srv, s) => {
    const name = 'one-dirty.bin';
    const path = join(srv.fixture.dir, name);
    const expected = randomBytes(MiB);
    await writeFile(path, expected);
    const h = await s.tree.create(name, { desiredAccess: READ_WRITE });
    // Warm the cache: every page clean, the whole READ zero-copy.
    assert.ok((await s.io.read(h.fileId, 0, MiB, { descriptors: 2 })).equals(expected));
    await until('the warm READ counted', () => reads.length === 1);
    assert.deepEqual(reads[0], { transport: 'rdma', path: 'zerocopy', bytes: MiB, copied: {} }, 'the warm READ');

    // One page written through the server with write-behind: it stays DIRTY in the cache.
    const DIRTY_PAGE = 100;
    const newPage = randomBytes(PAGE_SIZE);
    assert.equal(await s.tree.write(h.fileId, DIRTY_PAGE * PAGE_SIZE, newPage), PAGE_SIZE);
    newPage.copy(expected, DIRTY_PAGE * PAGE_SIZE);
    const ch = await srv.cache.open(path);
    try {
      const dirtyPages = Array.from({ length: MiB / PAGE_SIZE }, (_, i) => i).filter((i) => srv.cache.pageFlags(ch, i) & PageFlag.DIRTY);
      assert.deepEqual(dirtyPages, [DIRTY_PAGE], 'exactly the written page is DIRTY before the READ');

      const before = srv.cache.counters();
      const got = await s.io.read(h.fileId, 0, MiB, { descriptors: 3 });
      assert.equal(sha(got), sha(expected), 'the READ returns the dirty page\'s new bytes and the rest unchanged');
      await until('the READ counted', () => reads.length === 2);
      assert.deepEqual(reads[1], { transport: 'rdma', path: 'copy', bytes: MiB, copied: { dirty: PAGE_SIZE } }, 'server telemetry: 4096 bytes copied (dirty), the rest zero-copy');
      const after = srv.cache.counters();
      assert.equal(after.copiedBytesByReason.dirty - before.copiedBytesByReason.dirty, PAGE_SIZE, 'cache: dirty bytes copied');
      assert.equal(after.copiedBytes - before.copiedBytes, PAGE_SIZE, 'cache: no other byte copied');
      assert.equal(after.zeroCopyBytes - before.zeroCopyBytes, MiB - PAGE_SIZE, 'cache: the other 255 pages spliced');
      assert.ok(srv.cache.pageFlags(ch, DIRTY_PAGE) & PageFlag.DIRTY, 'still DIRTY after the READ (write-behind)');

      // A read-only mapping of one more page: that page is copied for reason 'mapped'.
      const MAPPED_PAGE = 200;
      const mapping = await srv.cache.map(ch, MAPPED_PAGE * PAGE_SIZE, PAGE_SIZE, { writable: false });
      try {
        const got2 = await s.io.read(h.fileId, 0, MiB, { descriptors: 1 });
        assert.equal(sha(got2), sha(expected), 'the READ with a mapped page');
        await until('the READ with a mapped page counted', () => reads.length === 3);
        assert.deepEqual(reads[2], { transport: 'rdma', path: 'copy', bytes: MiB, copied: { dirty: PAGE_SIZE, mapped: PAGE_SIZE } }, 'server telemetry: one page dirty, one mapped');
      } finally {
        srv.cache.unmap(mapping);
      }
    } finally {
      await srv.cache.close(ch);
    }
    await s.tree.flush(h.fileId);
    await s.tree.close(h.fileId);
    assert.equal(sha(await readFile(path)), sha(expected), 'the dirty page reached the disk on FLUSH');
    assert.ok(reads.every((r) => r.transport === 'rdma'));
  });
});

test('stable pages over RDMA: a write landing while the READ\'s RDMA WRITEs are in flight copies on write; the client gets the splice-time bytes', async () => {
  const { onTransport, beforeNextRdmaWrite } = rdmaWriteHook();
  await withServer({ onTransport }, async (srv, s) => {
    const name = 'stable.bin';
    const path = join(srv.fixture.dir, name);
    const original = randomBytes(MiB);
    await writeFile(path, original);
    const READ_AT = 256 * 1024;
    const READ_LEN = 256 * 1024;
    // Unaligned on both ends: the first and last pages are partly overwritten (COW must keep their other bytes too).
    const OVER_AT = READ_AT + 3 * PAGE_SIZE + 100;
    const overwrite = randomBytes(64 * 1024 + 1234);
    const firstPage = Math.floor(OVER_AT / PAGE_SIZE);
    const lastPage = Math.floor((OVER_AT + overwrite.length - 1) / PAGE_SIZE);
    const updated = Buffer.from(original);
    overwrite.copy(updated, OVER_AT);

    const ch = await srv.cache.open(path, { writable: true });
    let cowDuring = -1;
    let ran = false;
    beforeNextRdmaWrite(async () => {
      ran = true;
      for (let i = firstPage; i <= lastPage; i++) assert.ok(srv.cache.pageFlags(ch, i) & PageFlag.SPLICED, `page ${i} is SPLICED while its RDMA WRITE is pending`);
      const cowBefore = srv.cache.counters().cowReplacements;
      assert.equal(await srv.cache.write(ch, OVER_AT, overwrite), overwrite.length);
      cowDuring = srv.cache.counters().cowReplacements - cowBefore;
    });
    try {
      const h = await s.tree.create(name, { desiredAccess: READ_WRITE });
      const before = srv.cache.counters();
      const got = await withTimeout(s.io.read(h.fileId, READ_AT, READ_LEN, { descriptors: 1 }), 'the READ whose RDMA WRITE meets the overwrite');
      assert.ok(ran, 'the overwrite ran inside rdmaWrite');
      assert.equal(sha(got), sha(original.subarray(READ_AT, READ_AT + READ_LEN)), 'the client received the bytes as they were at splice time');
      assert.equal(cowDuring, lastPage - firstPage + 1, 'every overwritten page was a handed-out page, replaced by a copy');
      assert.equal(srv.cache.counters().zeroCopyBytes - before.zeroCopyBytes, READ_LEN, 'the READ was served zero-copy');

      const again = await s.io.read(h.fileId, READ_AT, READ_LEN, { descriptors: 2 });
      assert.equal(sha(again), sha(updated.subarray(READ_AT, READ_AT + READ_LEN)), 'a later READ sees the overwrite');
      const whole = await s.io.read(h.fileId, 0, MiB, { descriptors: 2 });
      assert.equal(sha(whole), sha(updated), 'the whole file, read again');
      await srv.cache.flush(ch);
      await s.tree.close(h.fileId);
    } finally {
      await srv.cache.close(ch);
    }
    assert.equal(sha(await readFile(path)), sha(updated), 'the file on disk holds the new content');
  });
});
