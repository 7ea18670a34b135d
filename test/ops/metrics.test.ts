import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheCounters } from '../../cache/counters.js';
import { COPY_REASONS } from '../../cache/page-flags.js';
import {
  DATA_PATHS,
  IO_SIZE_BUCKETS,
  LIMITS,
  PAGE_STATES,
  PROTOCOL_ERROR_KINDS,
  READ_COPY_REASONS,
  REQUEST_DURATION_BUCKETS,
  SMB2_COMMANDS,
  SplicedMetrics,
  TRANSPORTS,
  WRITE_PLACEMENTS,
} from '../../ops/metrics.js';
import { buildOpsApp, type ServerStatus } from '../../ops/http.js';
import type { SmbDirectListenerOptions } from '../../ops/smbdirect-hook.js';
import { parseConfig } from '../../ops/config.js';
import { declaredTypes, parsePromText, sampleSum } from '../support/prom-text.js';
import { coreMissing, smbclient, smbclientMissing, startCore } from '../support/smb-core.js';

/** Every label the spliced_ metrics may carry, with its closed set of values. */
const ALLOWED_LABEL_VALUES: Record<string, readonly string[]> = {
  transport: TRANSPORTS,
  path: DATA_PATHS,
  command: SMB2_COMMANDS,
  kind: PROTOCOL_ERROR_KINDS,
  reason: READ_COPY_REASONS,
  state: PAGE_STATES,
  op: ['read', 'write'],
  limit: LIMITS,
  placement: WRITE_PLACEMENTS,
};

function cacheSnapshot(over: Partial<CacheCounters> = {}): CacheCounters {
  const copiedBytesByReason = Object.fromEntries(COPY_REASONS.map((r) => [r, 0])) as CacheCounters['copiedBytesByReason'];
  return {
    zeroCopyBytes: 0, copiedBytes: 0, copiedBytesByReason, cowReplacements: 0, splicedPages: 0, evictions: 0,
    hits: 0, misses: 0, readaheadPages: 0, dirtyPages: 0, writebackPages: 0, towritePages: 0, writebackBytes: 0,
    writeThroughBytes: 0, totalPages: 0, maxPages: 64, slabs: 1,
    pages: { free: 64, clean: 0, dirty: 0, writeback: 0, spliced: 0, bounce: 0 },
    ...over,
  };
}

/** Exercise every Telemetry entry point, including values outside the fixed label sets. */
function exercise(m: SplicedMetrics): void {
  m.request('READ', 12e-6, 0);
  m.request('write', 40e-6, 0xc0000022);
  m.request('NOT_A_COMMAND', 1e-3, 0);
  m.readBytes('tcp', 'zerocopy', 65536);
  m.readBytes('rdma', 'copy', 4096);
  m.writeBytes('tcp', 8192);
  m.connectionOpened('tcp');
  m.sessionOpened();
  m.fileOpened();
  m.protocolError('decode');
  m.protocolError('client 10.1.2.3 sent garbage');
  m.rdmaWrite(1 << 20);
  m.rdmaRead(4096);
  m.creditStall();
  m.limitHit('connections_per_address');
  m.limitHit('a limit nobody declared');
}

test('metric names follow the Prometheus conventions and labels come from fixed sets', async () => {
  const m = new SplicedMetrics({ cacheCounters: () => cacheSnapshot() });
  exercise(m);
  const text = await m.expose();
  const types = declaredTypes(text);
  const ours = [...types].filter(([name]) => !name.startsWith('process_') && !name.startsWith('nodejs_'));
  assert.ok(ours.length >= 20, `expected the spliced metrics, got ${ours.length}`);
  for (const [name, type] of ours) {
    assert.match(name, /^spliced_[a-z0-9_]+$/, `${name}: spliced_ prefix, snake case`);
    if (type === 'counter') assert.match(name, /_total$/, `${name}: counters end in _total`);
    else assert.doesNotMatch(name, /_total$/, `${name}: only counters end in _total`);
    if (type === 'histogram') assert.match(name, /_(seconds|bytes)$/, `${name}: histograms carry a base unit`);
    if (/bytes/.test(name)) assert.match(name, /_bytes(_total)?$/, `${name}: bytes is the unit suffix`);
    assert.doesNotMatch(name, /_(ms|milliseconds|kb|mb|kib|mib)(_|$)/, `${name}: base units only`);
  }
  for (const s of parsePromText(text)) {
    if (!s.name.startsWith('spliced_')) continue;
    for (const [label, value] of Object.entries(s.labels)) {
      if (label === 'le') continue;
      const allowed = ALLOWED_LABEL_VALUES[label];
      assert.ok(allowed, `${s.name}: unexpected label ${label}`);
      assert.ok(allowed.includes(value), `${s.name}{${label}="${value}"} is outside the fixed set`);
    }
  }
  // Default process metrics are there too.
  assert.ok(types.has('process_cpu_user_seconds_total'));
  assert.ok(types.has('nodejs_eventloop_lag_seconds'));
});

test('telemetry calls move the exported values', async () => {
  const m = new SplicedMetrics({ defaultMetrics: false });
  exercise(m);
  exercise(m);
  const s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_read_bytes_total', { transport: 'tcp', path: 'zerocopy' }), 2 * 65536);
  assert.equal(sampleSum(s, 'spliced_read_bytes_total', { transport: 'rdma', path: 'copy' }), 2 * 4096);
  assert.equal(sampleSum(s, 'spliced_read_bytes_total', { transport: 'tcp', path: 'copy' }), 0);
  assert.equal(sampleSum(s, 'spliced_write_bytes_total', { transport: 'tcp' }), 2 * 8192);
  assert.equal(sampleSum(s, 'spliced_request_duration_seconds_count', { command: 'READ' }), 2);
  assert.equal(sampleSum(s, 'spliced_request_duration_seconds_count', { command: 'OTHER' }), 2);
  assert.equal(sampleSum(s, 'spliced_request_failures_total', { command: 'WRITE' }), 2);
  assert.equal(sampleSum(s, 'spliced_request_failures_total', { command: 'READ' }), 0);
  assert.equal(sampleSum(s, 'spliced_connections', { transport: 'tcp' }), 2);
  assert.equal(sampleSum(s, 'spliced_connections_total', { transport: 'tcp' }), 2);
  assert.equal(sampleSum(s, 'spliced_sessions'), 2);
  assert.equal(sampleSum(s, 'spliced_open_files'), 2);
  assert.equal(sampleSum(s, 'spliced_protocol_errors_total', { kind: 'decode' }), 2);
  assert.equal(sampleSum(s, 'spliced_protocol_errors_total', { kind: 'other' }), 2);
  assert.equal(sampleSum(s, 'spliced_rdma_bytes_total', { op: 'write' }), 2 << 20);
  assert.equal(sampleSum(s, 'spliced_rdma_operations_total', { op: 'read' }), 2);
  assert.equal(sampleSum(s, 'spliced_smbdirect_credit_stalls_total'), 2);
  assert.equal(sampleSum(s, 'spliced_limit_hits_total', { limit: 'connections_per_address' }), 2);
  assert.equal(sampleSum(s, 'spliced_limit_hits_total', { limit: 'other' }), 2);
  assert.equal(sampleSum(s, 'spliced_limit_hits_total', { limit: 'connections' }), 0);
  assert.equal(sampleSum(s, 'spliced_read_payloads'), 0, 'nothing held without a server');
  m.setServerAccounting(() => ({ connections: 3, receiveBufferBytes: 100, requestBytes: 300, readPayloads: 2, readBytes: 5 << 20 }));
  const held = parsePromText(await m.expose());
  assert.equal(sampleSum(held, 'spliced_read_payloads'), 2);
  assert.equal(sampleSum(held, 'spliced_read_outstanding_bytes'), 5 << 20);
  assert.equal(sampleSum(held, 'spliced_receive_buffer_bytes'), 100);
  assert.equal(sampleSum(held, 'spliced_request_buffer_bytes'), 300);
  // 65536 falls in the le=65536 bucket, not le=32768.
  assert.equal(sampleSum(s, 'spliced_io_size_bytes_bucket', { op: 'read', le: '32768' }), 2);
  assert.equal(sampleSum(s, 'spliced_io_size_bytes_bucket', { op: 'read', le: '65536' }), 4);
  const t = m.throughput();
  assert.deepEqual(t, {
    readZeroCopyBytes: 2 * 65536, readCopyBytes: 2 * 4096, writeBytes: 2 * 8192, rdmaWriteBytes: 2 << 20, rdmaReadBytes: 2 * 4096,
    requests: 6, failedRequests: 2, rdmaWriteOps: 2, rdmaReadOps: 2, creditStalls: 2, protocolErrors: 4,
    rdmaZeroCopyBytes: 0, rdmaCopyBytes: 2 * 4096, smbdirectErrors: 0,
  });
});

test('WRITE bytes are split by placement: placed in cache pages by the transport, or copied', async () => {
  const m = new SplicedMetrics({ defaultMetrics: false });
  m.writeBytes('rdma', 3 * 4096, 2 * 4096);
  m.writeBytes('tcp', 100);
  const s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_write_placed_bytes_total', { transport: 'rdma', placement: 'cache_page' }), 2 * 4096);
  assert.equal(sampleSum(s, 'spliced_write_placed_bytes_total', { transport: 'rdma', placement: 'copied' }), 4096);
  assert.equal(sampleSum(s, 'spliced_write_placed_bytes_total', { transport: 'tcp', placement: 'copied' }), 100);
  assert.equal(sampleSum(s, 'spliced_write_placed_bytes_total', { transport: 'tcp', placement: 'cache_page' }), 0);
});

test('histogram buckets: request time from 5 µs doubling 20 times, I/O size 4 KiB to 64 MiB', async () => {
  assert.equal(REQUEST_DURATION_BUCKETS.length, 20);
  assert.equal(REQUEST_DURATION_BUCKETS[0], 5e-6);
  assert.equal(IO_SIZE_BUCKETS[0], 4096);
  assert.equal(IO_SIZE_BUCKETS[IO_SIZE_BUCKETS.length - 1], 64 * 1024 * 1024);
  const m = new SplicedMetrics({ defaultMetrics: false });
  m.request('READ', 7e-6, 0);
  const s = parsePromText(await m.expose());
  const les = s.filter((x) => x.name === 'spliced_request_duration_seconds_bucket' && x.labels.command === 'READ').map((x) => x.labels.le);
  assert.equal(les.length, 21);
  assert.equal(les[0], '0.000005');
  assert.equal(sampleSum(s, 'spliced_request_duration_seconds_bucket', { command: 'READ', le: '0.000005' }), 0);
  assert.equal(sampleSum(s, 'spliced_request_duration_seconds_bucket', { command: 'READ', le: '0.00001' }), 1);
});

test('cache counters are read at scrape time and stay monotonic', async () => {
  let snapshot = cacheSnapshot();
  const m = new SplicedMetrics({ defaultMetrics: false, cacheCounters: () => snapshot });
  let s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_cache_pages', { state: 'free' }), 64);
  assert.equal(sampleSum(s, 'spliced_copy_fallback_bytes_total'), 0);
  snapshot = cacheSnapshot({
    zeroCopyBytes: 1 << 20, cowReplacements: 3, evictions: 5, hits: 7, misses: 2,
    copiedBytesByReason: { ...snapshot.copiedBytesByReason, dirty: 8192, mapped: 4096 },
    pages: { free: 40, clean: 10, dirty: 4, writeback: 2, spliced: 8, bounce: 0 },
  });
  s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_cache_zerocopy_bytes_total'), 1 << 20);
  assert.equal(sampleSum(s, 'spliced_copy_fallback_bytes_total', { reason: 'dirty' }), 8192);
  assert.equal(sampleSum(s, 'spliced_copy_fallback_bytes_total', { reason: 'mapped' }), 4096);
  assert.equal(sampleSum(s, 'spliced_cache_cow_replacements_total'), 3);
  assert.equal(sampleSum(s, 'spliced_cache_evictions_total'), 5);
  assert.equal(sampleSum(s, 'spliced_cache_pinned_pages'), 8, 'spliced plus bounce pages');
  assert.equal(sampleSum(s, 'spliced_cache_pages', { state: 'spliced' }), 8);
  assert.equal(sampleSum(s, 'spliced_cache_pages'), 64);
  // A cache that starts over (restart) must not make a counter go down.
  snapshot = cacheSnapshot({ evictions: 1 });
  s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_cache_evictions_total'), 5);
});

test('a failing cache counters function does not fail the scrape; it is counted', async () => {
  const m = new SplicedMetrics({ defaultMetrics: false, cacheCounters: () => { throw new Error('cache broke'); } });
  m.readBytes('tcp', 'copy', 10);
  const s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_read_bytes_total'), 10);
  assert.equal(sampleSum(s, 'spliced_cache_counter_errors_total'), 1, 'one failed read per scrape');
  assert.equal(sampleSum(s, 'spliced_cache_pages'), 0);
  assert.equal(m.readCacheCounters(true), undefined);
});

test('each instance has its own registry', async () => {
  const a = new SplicedMetrics({ defaultMetrics: false });
  const b = new SplicedMetrics({ defaultMetrics: false });
  a.writeBytes('tcp', 100);
  assert.notEqual(a.registry, b.registry);
  assert.equal(sampleSum(parsePromText(await b.expose()), 'spliced_write_bytes_total'), 0);
});

test('ops server: /metrics, /healthz, /status and the status page', async () => {
  const m = new SplicedMetrics({ cacheCounters: () => cacheSnapshot({ hits: 9 }) });
  const status: ServerStatus = {
    connections: [{ id: 1, transport: 'tcp', dialect: 'SMB3_11', sessions: 1, openFiles: 2 }, { id: 2, transport: 'rdma', dialect: 'SMB3_02', sessions: 1, openFiles: 0 }],
    sessions: 2, openFiles: 2, shares: [{ name: 'data', path: '/srv/data', readOnly: false }],
  };
  const app = buildOpsApp({ metrics: m, status: () => status });
  m.readBytes('tcp', 'zerocopy', 4096);
  try {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(sampleSum(parsePromText(metrics.body), 'spliced_read_bytes_total', { path: 'zerocopy' }), 4096);
    assert.match(metrics.body, /^process_resident_memory_bytes \d+/m);

    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });

    const st = await app.inject({ method: 'GET', url: '/status' });
    assert.equal(st.statusCode, 200);
    const doc = st.json();
    assert.deepEqual(doc.shares, status.shares);
    assert.deepEqual(doc.connectionsByTransport, { tcp: 1, rdma: 1 });
    assert.equal(doc.sessions, 2);
    assert.equal(doc.throughput.readZeroCopyBytes, 4096);
    assert.equal(doc.cache.hits, 9);
    assert.equal(doc.cache.pages.free, 64);
    assert.ok(Math.abs(doc.time - Date.now()) < 5000);

    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(page.body, /<canvas id="plot"/);
    assert.doesNotMatch(page.body, /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!127\.)/, 'no external resources');
    assert.equal((await app.inject({ method: 'GET', url: '/nope' })).statusCode, 404);
  } finally {
    await app.close();
  }
});

test('values move under a real smbclient transfer against a real SmbServer', { skip: smbclientMissing || coreMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-metrics-'));
  const data = Buffer.alloc(3 * 1024 * 1024 + 123, 0xa5);
  writeFileSync(join(dir, 'in.bin'), data);
  const upload = join(dir, 'upload.src');
  writeFileSync(upload, data.subarray(0, 200_000));
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const core = await startCore(parseConfig(`[data]\npath = ${dir}\nguest ok = yes\nread only = no\n`, join(dir, 'x.conf')).options, metrics);
  try {
    const r = await smbclient(core.tcpPort, 'data', `get in.bin ${join(dir, 'out.bin')}; put ${upload} up.bin`);
    assert.equal(r.code, 0, r.out);
    const s = parsePromText(await metrics.expose());
    assert.equal(sampleSum(s, 'spliced_read_bytes_total', { transport: 'tcp' }), data.length);
    assert.equal(sampleSum(s, 'spliced_read_bytes_total', { transport: 'rdma' }), 0);
    assert.equal(sampleSum(s, 'spliced_write_bytes_total', { transport: 'tcp' }), 200_000);
    for (const command of ['NEGOTIATE', 'SESSION_SETUP', 'TREE_CONNECT', 'CREATE', 'READ', 'WRITE', 'CLOSE']) {
      assert.ok(sampleSum(s, 'spliced_request_duration_seconds_count', { command }) >= 1, `${command} timed`);
    }
    const reads = sampleSum(s, 'spliced_io_size_bytes_count', { op: 'read' });
    assert.ok(reads >= 1 && sampleSum(s, 'spliced_io_size_bytes_sum', { op: 'read' }) === data.length);
    assert.equal(sampleSum(s, 'spliced_connections_total', { transport: 'tcp' }), 1);
    // The page cache served the read: its counters agree with the READ accounting.
    const zeroCopy = sampleSum(s, 'spliced_cache_zerocopy_bytes_total');
    assert.equal(zeroCopy + sampleSum(s, 'spliced_copy_fallback_bytes_total'), data.length);
    assert.equal(sampleSum(s, 'spliced_read_bytes_total', { path: 'zerocopy' }), zeroCopy);
    assert.ok(zeroCopy > 0, 'a clean cached file is served zero-copy');
    assert.ok(sampleSum(s, 'spliced_cache_misses_total') > 0);
    assert.equal(sampleSum(s, 'spliced_cache_pages'), sampleSum(s, 'spliced_cache_max_pages'));
    assert.equal(sampleSum(s, 'spliced_cache_max_pages'), (256 * 1024 * 1024) / 4096);
    // Carved pages hold at least the file just read and never exceed the capacity.
    const carved = sampleSum(s, 'spliced_cache_carved_pages');
    assert.ok(carved >= Math.ceil(data.length / 4096) && carved <= sampleSum(s, 'spliced_cache_max_pages'), `carved ${carved}`);
    // smbclient has gone: the gauges are back to zero.
    for (let i = 0; i < 50 && sampleSum(parsePromText(await metrics.expose()), 'spliced_connections') > 0; i++) await new Promise((d) => setTimeout(d, 20));
    const after = parsePromText(await metrics.expose());
    assert.equal(sampleSum(after, 'spliced_connections'), 0);
    assert.equal(sampleSum(after, 'spliced_sessions'), 0);
    assert.equal(sampleSum(after, 'spliced_open_files'), 0);
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache size = 0 serves every read by copying, without a page cache', { skip: smbclientMissing || coreMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-nocache-'));
  const data = Buffer.alloc(1024 * 1024 + 7, 0x5a);
  writeFileSync(join(dir, 'in.bin'), data);
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const cfg = parseConfig(`[global]\ncache size = 0\n[data]\npath = ${dir}\nguest ok = yes\n`, join(dir, 'x.conf'));
  assert.equal(cfg.options.cacheBytes, 0);
  const core = await startCore(cfg.options, metrics);
  try {
    const r = await smbclient(core.tcpPort, 'data', `get in.bin ${join(dir, 'out.bin')}`);
    assert.equal(r.code, 0, r.out);
    const s = parsePromText(await metrics.expose());
    assert.equal(sampleSum(s, 'spliced_read_bytes_total', { path: 'copy' }), data.length);
    assert.equal(sampleSum(s, 'spliced_read_bytes_total', { path: 'zerocopy' }), 0);
    assert.equal(metrics.readCacheCounters(), undefined);
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SMB Direct feeds its series through the hook\'s metrics interface; /status carries its state', async () => {
  const m = new SplicedMetrics({ defaultMetrics: false });
  const hook: SmbDirectListenerOptions['metrics'] = m;
  hook.rdmaWrite(1 << 20);
  hook.rdmaWrite(4096);
  hook.rdmaRead(8192);
  hook.creditStall();
  hook.protocolError('smbdirect');
  m.readBytes('rdma', 'zerocopy', (1 << 20) + 4096);
  m.connectionOpened('rdma');
  const s = parsePromText(await m.expose());
  assert.equal(sampleSum(s, 'spliced_rdma_bytes_total', { op: 'write' }), (1 << 20) + 4096);
  assert.equal(sampleSum(s, 'spliced_rdma_operations_total', { op: 'write' }), 2);
  assert.equal(sampleSum(s, 'spliced_rdma_bytes_total', { op: 'read' }), 8192);
  assert.equal(sampleSum(s, 'spliced_rdma_operations_total', { op: 'read' }), 1);
  assert.equal(sampleSum(s, 'spliced_smbdirect_credit_stalls_total'), 1);
  assert.equal(sampleSum(s, 'spliced_protocol_errors_total', { kind: 'smbdirect' }), 1);
  assert.equal(sampleSum(s, 'spliced_connections', { transport: 'rdma' }), 1);
  const t = m.throughput();
  assert.deepEqual([t.rdmaZeroCopyBytes, t.rdmaCopyBytes, t.smbdirectErrors, t.protocolErrors], [(1 << 20) + 4096, 0, 1, 1]);

  const state = { state: 'listening', port: 5445, devices: [{ name: 'rxe0', netdevs: ['eth1'] }], zeroCopy: true } as const;
  const withState = buildOpsApp({ metrics: m, smbDirect: () => state });
  const without = buildOpsApp({ metrics: m });
  try {
    assert.deepEqual((await withState.inject({ method: 'GET', url: '/status' })).json().smbDirect, state);
    assert.equal((await without.inject({ method: 'GET', url: '/status' })).json().smbDirect, null);
  } finally {
    await withState.close();
    await without.close();
  }
});
