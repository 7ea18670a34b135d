// SMB2 WRITE with an RDMA channel over rxe: the server RDMA-READs the client's buffers straight
// into fresh registered cache pages for every whole page of the range (the partial first and
// last pages through bounce buffers), and the file, later READs and the placement metric show
// it. A READ whose RDMA WRITE of cache pages is in flight while such a WRITE replaces those
// pages still delivers the old bytes (stable pages).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAGE_SIZE, PageFlag } from '../../../cache/index.js';
import { SplicedMetrics } from '../../../ops/metrics.js';
import { startSmbDirectServer, type SmbDirectServer, type SmbDirectServerHooks } from '../../support/smbdirect-server.js';
import { parsePromText, sampleSum } from '../../support/prom-text.js';
import { GUEST_IP, withTimeout } from './helpers.js';
import { READ_WRITE, binding, rdmaWriteHook, session, sha, until, type Session } from './smbdirect-session.js';

const MiB = 1024 * 1024;

/** The server's WRITE placement counters, read from its real Prometheus metrics. */
async function placed(metrics: SplicedMetrics): Promise<{ cachePage: number; copied: number }> {
  const s = parsePromText(await metrics.expose());
  return {
    cachePage: sampleSum(s, 'spliced_write_placed_bytes_total', { transport: 'rdma', placement: 'cache_page' }),
    copied: sampleSum(s, 'spliced_write_placed_bytes_total', { transport: 'rdma', placement: 'copied' }),
  };
}

/** A server of its own with real metrics and `sessions` clients; pinned pages checked idle after `body`. */
async function withServer(hooks: SmbDirectServerHooks, sessions: number, body: (srv: SmbDirectServer, metrics: SplicedMetrics, s: Session[]) => Promise<void>): Promise<void> {
  const b = binding();
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const srv = await startSmbDirectServer(b, GUEST_IP, {}, { ...hooks, telemetry: metrics });
  try {
    const open: Session[] = [];
    try {
      for (let i = 0; i < sessions; i++) open.push(await session(srv, b));
      await body(srv, metrics, open);
    } finally {
      for (const s of open) await s.transport.shutdown();
    }
    await until('pinned pages back to idle', () => srv.pinnedPages() === 0);
    assert.deepEqual(srv.warnings, [], 'the server logged no warning');
  } finally {
    await srv.close();
  }
}

/** Bytes of [offset, offset + length) in pages it covers entirely. */
function wholePageBytes(offset: number, length: number): number {
  const first = Math.ceil(offset / PAGE_SIZE);
  const end = Math.floor((offset + length) / PAGE_SIZE);
  return Math.max(0, end - first) * PAGE_SIZE;
}

test('RDMA-channel WRITEs land in fresh cache pages: aligned, unaligned and over several descriptors; disk and READ agree', async () => {
  await withServer({}, 1, async (srv, metrics, [s]) => {
    const name = 'rdma-write.bin';
    const path = join(srv.fixture.dir, name);
    const expected = randomBytes(2 * MiB);
    await writeFile(path, expected);
    const h = await s.tree.create(name, { desiredAccess: READ_WRITE });
    // Warm part of the file so some WRITEs replace cached (clean) pages and others fill empty slots.
    assert.ok((await s.io.read(h.fileId, 0, 256 * 1024)).equals(expected.subarray(0, 256 * 1024)));
    const writes = [
      { offset: 0, length: MiB, descriptors: 1 }, // 1 MiB aligned, replaces warm pages
      { offset: 100, length: 3 * PAGE_SIZE, descriptors: 1 }, // unaligned both ends: two whole pages
      { offset: MiB + 3 * PAGE_SIZE + 5, length: 512 * 1024 + 777, descriptors: 4 },
      { offset: 2 * MiB - PAGE_SIZE, length: 3 * PAGE_SIZE + 10, descriptors: 2 }, // extends the file
    ];
    let content = expected;
    for (const w of writes) {
      const data = randomBytes(w.length);
      const before = await placed(metrics);
      const rdmaBefore = srv.counters.rdmaReadBytes;
      assert.equal(await withTimeout(s.io.write(h.fileId, w.offset, data, { descriptors: w.descriptors }), `WRITE at ${w.offset}`), w.length);
      if (w.offset + w.length > content.length) content = Buffer.concat([content, Buffer.alloc(w.offset + w.length - content.length)]);
      data.copy(content, w.offset);
      const after = await placed(metrics);
      const whole = wholePageBytes(w.offset, w.length);
      assert.equal(after.cachePage - before.cachePage, whole, `WRITE at ${w.offset}: whole pages placed by the device`);
      assert.equal(after.copied - before.copied, w.length - whole, `WRITE at ${w.offset}: only the edge bytes copied`);
      assert.equal(srv.counters.rdmaReadBytes - rdmaBefore, w.length, 'every byte came by RDMA READ');
      assert.equal(sha(await readFile(path)), sha(content), `WRITE at ${w.offset} is in the file on disk when answered`);
    }
    const back = Buffer.concat([await s.io.read(h.fileId, 0, MiB, { descriptors: 2 }), await s.io.read(h.fileId, MiB, content.length - MiB, { descriptors: 3 })]);
    assert.equal(sha(back), sha(content), 'READ returns what was written');
    await s.tree.close(h.fileId);
  });
});

test('stable pages: a READ whose RDMA WRITE is in flight while an RDMA-channel WRITE replaces its pages delivers the old bytes', async () => {
  const { onTransport, beforeNextRdmaWrite } = rdmaWriteHook();
  await withServer({ onTransport }, 2, async (srv, metrics, [reader, writer]) => {
    const name = 'stable-write.bin';
    const path = join(srv.fixture.dir, name);
    const original = randomBytes(MiB);
    await writeFile(path, original);
    const READ_AT = 256 * 1024;
    const READ_LEN = 256 * 1024;
    const OVER_AT = READ_AT + 8 * PAGE_SIZE;
    const overwrite = randomBytes(64 * 1024);
    const firstPage = OVER_AT / PAGE_SIZE;
    const lastPage = firstPage + overwrite.length / PAGE_SIZE - 1;
    const updated = Buffer.from(original);
    overwrite.copy(updated, OVER_AT);

    const hr = await reader.tree.create(name, { desiredAccess: READ_WRITE });
    const hw = await writer.tree.create(name, { desiredAccess: READ_WRITE });
    const ch = await srv.cache.open(path);
    let ran = false;
    let placedDuring = -1;
    let cowDuring = -1;
    beforeNextRdmaWrite(async () => {
      ran = true;
      for (let i = firstPage; i <= lastPage; i++) assert.ok(srv.cache.pageFlags(ch, i) & PageFlag.SPLICED, `page ${i} is SPLICED while its RDMA WRITE is pending`);
      const before = await placed(metrics);
      const cowBefore = srv.cache.counters().cowReplacements;
      assert.equal(await withTimeout(writer.io.write(hw.fileId, OVER_AT, overwrite, { descriptors: 2 }), 'the RDMA-channel WRITE during the READ'), overwrite.length);
      placedDuring = (await placed(metrics)).cachePage - before.cachePage;
      cowDuring = srv.cache.counters().cowReplacements - cowBefore;
      for (let i = firstPage; i <= lastPage; i++) assert.equal(srv.cache.pageFlags(ch, i) & PageFlag.SPLICED, 0, `page ${i} is a fresh page now`);
    });
    try {
      const got = await withTimeout(reader.io.read(hr.fileId, READ_AT, READ_LEN, { descriptors: 1 }), 'the READ whose RDMA WRITE meets the WRITE');
      assert.ok(ran, 'the WRITE ran inside rdmaWrite');
      assert.equal(sha(got), sha(original.subarray(READ_AT, READ_AT + READ_LEN)), 'the client received the bytes as they were at splice time');
      assert.equal(placedDuring, overwrite.length, 'the WRITE placed every page in a fresh cache page');
      assert.equal(cowDuring, 0, 'no page was copied: the handed-out pages were replaced, not written');
      assert.equal(sha(await readFile(path)), sha(updated), 'the file on disk holds the new content');
      const again = await reader.io.read(hr.fileId, READ_AT, READ_LEN, { descriptors: 2 });
      assert.equal(sha(again), sha(updated.subarray(READ_AT, READ_AT + READ_LEN)), 'a later READ sees the WRITE');
    } finally {
      await srv.cache.close(ch);
    }
    await reader.tree.close(hr.fileId);
    await writer.tree.close(hw.fileId);
  });
});
