import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SplicedMetrics } from '../../ops/metrics.js';
import { buildOpsApp } from '../../ops/http.js';
import { parsePromText } from '../support/prom-text.js';

const dashboard = JSON.parse(readFileSync(new URL('../../grafana/dashboard.json', import.meta.url), 'utf8')) as unknown;

/** Every PromQL string in the dashboard: panel target exprs and templating queries. */
function queries(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => queries(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'expr' || k === 'query' || k === 'definition') && typeof v === 'string' && /[a-z]_[a-z]/.test(v)) out.push(v);
      else queries(v, out);
    }
  }
  return out;
}

const METRIC_NAME = /\b(?:spliced|process|nodejs)_[a-zA-Z0-9_]+/g;
/** `metric{a="x",b=~"..."}`: the selectors with their exact-match labels. */
const SELECTOR = /\b((?:spliced|process|nodejs)_[a-zA-Z0-9_]+)\{([^}]*)\}/g;

test('every metric the Grafana dashboard queries is in /metrics output', async () => {
  const exprs = queries(dashboard);
  assert.ok(exprs.length >= 20, `expected the dashboard's queries, found ${exprs.length}`);
  const used = new Set(exprs.flatMap((e) => e.match(METRIC_NAME) ?? []));
  assert.ok(used.size >= 20, `expected many metrics in the dashboard, found ${used.size}`);

  const app = buildOpsApp({ metrics: new SplicedMetrics() });
  try {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    const samples = parsePromText(res.body);
    const exported = new Set(samples.map((s) => s.name));
    const missing = [...used].filter((n) => !exported.has(n));
    assert.deepEqual(missing, [], `dashboard queries metrics that /metrics does not export: ${missing.join(', ')}`);

    for (const e of exprs) {
      for (const [, name, matchers] of e.matchAll(SELECTOR)) {
        for (const [, label, value] of matchers!.matchAll(/([a-z_]+)="([^"]*)"/g)) {
          const found = samples.some((s) => s.name === name && s.labels[label!] === value);
          assert.ok(found, `${name}{${label}="${value}"} in "${e}" matches no exported series`);
        }
      }
    }
  } finally {
    await app.close();
  }
});

test('the dashboard is importable: unique panel ids, a Prometheus data source variable', () => {
  const d = dashboard as { uid: string; panels: Array<{ id: number; type: string }>; templating: { list: Array<{ name: string; type: string }> } };
  assert.equal(typeof d.uid, 'string');
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(d.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
});

test('the example prometheus.yml scrapes the default metrics address', () => {
  const yml = readFileSync(new URL('../../prometheus/prometheus.yml', import.meta.url), 'utf8');
  assert.match(yml, /job_name: spliced/);
  assert.match(yml, /metrics_path: \/metrics/);
  assert.match(yml, /targets: \['127\.0\.0\.1:9445'\]/);
});

test('the SMB Direct row charts RDMA bytes and operations by op, connections by transport, credit stalls, protocol errors by kind, and READ bytes zero-copy vs copied by reason', () => {
  const d = dashboard as { panels: Array<{ type: string; title: string; gridPos: { y: number } }> };
  const ordered = [...d.panels].sort((a, b) => a.gridPos.y - b.gridPos.y);
  const start = ordered.findIndex((p) => p.type === 'row' && p.title === 'SMB Direct');
  assert.ok(start >= 0, 'an "SMB Direct" row');
  const next = ordered.findIndex((p, i) => i > start && p.type === 'row');
  const exprs = queries(ordered.slice(start + 1, next < 0 ? undefined : next));
  const has = (re: RegExp) => assert.ok(exprs.some((e) => re.test(e)), `the SMB Direct row has a query matching ${re}: ${exprs.join(' | ')}`);
  has(/sum by \(op\) \(rate\(spliced_rdma_bytes_total\{/);
  has(/sum by \(op\) \(rate\(spliced_rdma_operations_total\{/);
  has(/sum by \(transport\) \(spliced_connections\{/);
  has(/spliced_smbdirect_credit_stalls_total\{/);
  has(/sum by \(kind\) \(rate\(spliced_protocol_errors_total\{/);
  has(/spliced_read_bytes_total\{transport="rdma",path="zerocopy"/);
  has(/sum by \(reason\) \(rate\(spliced_read_copied_bytes_total\{transport="rdma"/);
  has(/sum by \(placement\) \(rate\(spliced_write_placed_bytes_total\{transport="rdma"/);
});
