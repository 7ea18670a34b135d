import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../ops/config.js';
import { buildOpsApp } from '../../ops/http.js';
import { SplicedMetrics } from '../../ops/metrics.js';
import { chromiumMissing, launchChromium } from './browser.js';
import { coreMissing, smbclient, smbclientMissing, startCore } from './smb-core.js';

interface PageState {
  samples: Array<{ zeroCopy: number; copy: number; write: number }>;
  polls: number;
  draws: number;
}

const pageState = (): PageState => (window as unknown as { spliced: PageState }).spliced;

test('the status page loads in headless Chromium, polls /status and draws', { skip: chromiumMissing }, async () => {
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const app = buildOpsApp({
    metrics,
    status: () => ({ connections: [], sessions: 0, openFiles: 0, shares: [{ name: 'demo', path: '/srv/demo', readOnly: false }] }),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const outside: string[] = [];
    page.on('request', (r) => !r.url().startsWith('http://127.0.0.1:') && outside.push(r.url()));
    const { port } = app.server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/?interval=150`);
    assert.equal(await page.title(), 'spliced status');
    await page.waitForFunction(() => (window as any).spliced.polls >= 3, undefined, { timeout: 10_000 });
    assert.equal(await page.textContent('#shares td'), 'demo');
    assert.equal(await page.textContent('#rate-zerocopy'), '0 B/s');
    assert.ok((await page.evaluate(pageState)).draws >= 3);
    assert.deepEqual(errors, []);
    assert.deepEqual(outside, [], 'the page fetches nothing from outside');
  } finally {
    await browser.close();
    await app.close();
  }
});

test('the plot updates while a client reads', { skip: chromiumMissing || smbclientMissing || coreMissing }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-page-'));
  const big = Buffer.alloc(4 * 1024 * 1024, 0x5a);
  writeFileSync(join(dir, 'big.bin'), big);
  const metrics = new SplicedMetrics({ defaultMetrics: false });
  const cfg = parseConfig(`[data]\npath = ${dir}\nguest ok = yes\n`, join(dir, 'test.conf'));
  const core = await startCore(cfg.options, metrics);
  const app = buildOpsApp({ metrics, status: () => core.status() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const { port } = app.server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/?interval=150`);
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
  } finally {
    await browser.close();
    await app.close();
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
