import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../ops/config.js';
import { buildOpsApp } from '../../ops/http.js';
import { SplicedMetrics } from '../../ops/metrics.js';
import type { SmbDirectStatus } from '../../ops/smbdirect-start.js';
import type { SmbDirectListenerOptions } from '../../ops/smbdirect-hook.js';
import { chromiumMissing, launchChromium } from '../support/browser.js';
import { coreMissing, smbclient, smbclientMissing, startCore } from '../support/smb-core.js';

interface PageState {
  samples: Array<{ zeroCopy: number; copy: number; write: number }>;
  polls: number;
  draws: number;
  axisLabels: string[];
}

/** Axis labels are distinct, start at 0, and each is a round number of one unit. */
function assertRoundAxis(labels: string[], context: string): void {
  assert.equal(labels[0], '0', context);
  assert.equal(new Set(labels).size, labels.length, `distinct labels: ${labels.join(' | ')} (${context})`);
  assert.ok(labels.length >= 3 && labels.length <= 6, `3 to 6 ticks: ${labels.join(' | ')} (${context})`);
  const units = new Set(labels.slice(1).map((l) => l.split(' ')[1]));
  assert.equal(units.size, 1, `one unit: ${labels.join(' | ')}`);
  for (const l of labels.slice(1)) assert.match(l, /^\d+(\.\d{1,2})? (B|KiB|MiB|GiB|TiB)\/s$/, context);
}

const pageState = (): PageState => (window as unknown as { spliced: PageState }).spliced;

/**
 * Serve `app`, open its status page in headless Chromium (polling every 150 ms) and run `check`
 * on it; `prepare` sees the page before it loads. The browser and the app are closed after.
 */
async function onStatusPage(app: FastifyInstance, check: (page: Page) => Promise<void>, prepare?: (page: Page) => void): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    prepare?.(page);
    const { port } = app.server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/?interval=150`);
    await check(page);
  } finally {
    await browser.close();
    await app.close();
  }
}

test('the status page loads in headless Chromium, polls /status and draws', { skip: chromiumMissing }, async () => {
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const app = buildOpsApp({
    metrics,
    status: () => ({ connections: [], sessions: 0, openFiles: 0, shares: [{ name: 'demo', path: '/srv/demo', readOnly: false }] }),
  });
  const errors: string[] = [];
  const outside: string[] = [];
  await onStatusPage(app, async (page) => {
    assert.equal(await page.title(), 'spliced status');
    await page.waitForFunction(() => (window as any).spliced.polls >= 3, undefined, { timeout: 10_000 });
    assert.equal(await page.textContent('#shares td'), 'demo');
    assert.equal(await page.textContent('#rate-zerocopy'), '0 B/s');
    const idle = await page.evaluate(pageState);
    assert.ok(idle.draws >= 3);
    assert.deepEqual(idle.axisLabels, ['0', '0.25 KiB/s', '0.50 KiB/s', '0.75 KiB/s', '1.00 KiB/s'], 'an idle plot spans 0 to 1 KiB/s');
    for (const peak of [1, 700, 5000, 3e6, 123_456_789, 1.5e9, 9.9e12]) {
      const axis = await page.evaluate((p) => (window as any).spliced.axisFor(p) as { max: number; ticks: Array<{ label: string }> }, peak);
      assertRoundAxis(axis.ticks.map((t) => t.label), `peak ${peak} B/s`);
      assert.ok(axis.max >= peak, `the axis (${axis.max}) covers the peak ${peak}`);
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(outside, [], 'the page fetches nothing from outside');
  }, (page) => {
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('request', (r) => !r.url().startsWith('http://127.0.0.1:') && outside.push(r.url()));
  });
});

test('the plot updates while a client reads', { skip: chromiumMissing || smbclientMissing || coreMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-page-'));
  const big = Buffer.alloc(4 * 1024 * 1024, 0x5a);
  writeFileSync(join(dir, 'big.bin'), big);
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const cfg = parseConfig(`[data]\npath = ${dir}\nguest ok = yes\n`, join(dir, 'test.conf'));
  const core = await startCore(cfg.options, metrics);
  const app = buildOpsApp({ metrics, status: () => core.status() });
  try {
    await onStatusPage(app, async (page) => {
      await page.waitForFunction(() => (window as any).spliced.samples.length >= 3, undefined, { timeout: 10_000 });
      const idle = await page.evaluate(pageState);
      assert.ok(idle.samples.every((s) => s.zeroCopy + s.copy === 0), 'no reads yet');
      const before = await page.evaluate(() => (document.getElementById('plot') as HTMLCanvasElement).toDataURL());

      const gets = Array.from({ length: 8 }, () => 'get big.bin /dev/null').join('; ');
      const read = await smbclient(core.tcpPort, 'data', gets);
      assert.equal(read.code, 0, read.out);

      await page.waitForFunction(() => (window as any).spliced.samples.some((s: any) => s.zeroCopy + s.copy > 0), undefined, { timeout: 10_000 });
      const after = await page.evaluate(pageState);
      const readRate = Math.max(...after.samples.map((s) => s.zeroCopy + s.copy));
      assert.ok(readRate > 1024 * 1024, `plotted read rate ${readRate} B/s`);
      assertRoundAxis(after.axisLabels, `under load, peak ${readRate} B/s`);
      const drawn = await page.evaluate(() => (document.getElementById('plot') as HTMLCanvasElement).toDataURL());
      assert.notEqual(drawn, before, 'the canvas changed');
      // Polls may have caught the transfer midway; the next ones see all of it, counted once.
      const expected = 8 * big.length;
      await page.waitForFunction(
        (n) => { const t = (window as any).spliced.last.throughput; return t.readZeroCopyBytes + t.readCopyBytes >= n; },
        expected, { timeout: 10_000 },
      );
      const totals = await page.evaluate(() => (window as any).spliced.last.throughput);
      assert.equal(totals.readZeroCopyBytes + totals.readCopyBytes, expected, 'every byte read is counted once');
      const cache = (await page.textContent('#cache')) ?? '';
      for (const state of ['free', 'clean', 'dirty', 'writeback', 'spliced']) assert.match(cache, new RegExp(`pages ${state}\\d+`));
      assert.match(cache, /copied \(dirty\)/);
      assert.match((await page.textContent('#shares')) ?? '', /data/);
    });
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the SMB Direct section: port and devices, RDMA connections, WRITE/READ bytes and ops, credit stalls, zero-copy vs copied', { skip: chromiumMissing }, async () => {
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const listening: SmbDirectStatus = { state: 'listening', port: 5445, devices: [{ name: 'rxe0', netdevs: ['dummy0'] }], zeroCopy: true };
  let smbDirect: SmbDirectStatus = listening;
  const hook: SmbDirectListenerOptions['metrics'] = metrics;
  for (let i = 0; i < 3; i++) hook.rdmaWrite(1 << 20);
  hook.rdmaRead(64 * 1024);
  hook.creditStall();
  hook.creditStall();
  hook.protocolError('smbdirect');
  metrics.protocolError('decode');
  metrics.readBytes('rdma', 'zerocopy', 3 << 20);
  metrics.readBytes('rdma', 'copy', 4096);
  metrics.readBytes('tcp', 'copy', 999);
  const app = buildOpsApp({
    metrics,
    smbDirect: () => smbDirect,
    status: () => ({
      connections: [{ id: 7, transport: 'rdma', dialect: 'SMB3_02', sessions: 1, openFiles: 1 }, { id: 8, transport: 'tcp', dialect: 'SMB3_11', sessions: 1, openFiles: 0 }],
      sessions: 2, openFiles: 1, shares: [],
    }),
  });
  await onStatusPage(app, async (page) => {
    await page.waitForFunction(() => (window as any).spliced.polls >= 1, undefined, { timeout: 10_000 });
    assert.equal(await page.textContent('#smbd-state'), 'listening on rdma_cm port 5445 on rxe0 (dummy0); zero copy on');
    const rows = await page.$$eval('#smbdirect tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['RDMA connections', '1'],
      ['RDMA WRITE (READ data to clients)', '3.00 MiB in 3 ops'],
      ['RDMA READ (WRITE data from clients)', '64.0 KiB in 1 ops'],
      ['READ data zero-copy / copied', '3.00 MiB / 4.00 KiB'],
      ['credit stalls', '2'],
      ['SMB Direct protocol errors', '1'],
    ]);
    smbDirect = { state: 'unavailable', port: 5445, devices: [], zeroCopy: true, reason: 'SMB Direct off: no RDMA device' };
    const polls = await page.evaluate(() => (window as any).spliced.polls as number);
    await page.waitForFunction((n) => (window as any).spliced.polls > n, polls, { timeout: 10_000 });
    assert.equal(await page.textContent('#smbd-state'), 'not running: SMB Direct off: no RDMA device (serving TCP only)');
  });
});
