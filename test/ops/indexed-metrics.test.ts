import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { IndexedCounter, IndexedHistogram } from '../../ops/indexed-metrics.js';

const COMMANDS = ['READ', 'WRITE', 'OTHER'] as const;
const TRANSPORTS = ['tcp', 'rdma'] as const;
const PATHS = ['zerocopy', 'copy'] as const;
const BUCKETS = [1e-5, 1e-4, 1e-3, 0.01];

/** The same observations through prom-client's own Histogram and Counter: what the exposition must equal. */
function reference(): Registry {
  const registry = new Registry();
  const duration = new Histogram({ name: 't_duration_seconds', help: 'h', labelNames: ['command'], buckets: BUCKETS, registers: [registry] });
  const bytes = new Counter({ name: 't_bytes_total', help: 'c', labelNames: ['transport', 'path'], registers: [registry] });
  duration.observe({ command: 'READ' }, 2e-5);
  duration.observe({ command: 'READ' }, 1e-5); // on a bound: counted in that bucket
  duration.observe({ command: 'READ' }, 5);     // past the last bound: +Inf only
  duration.observe({ command: 'OTHER' }, 3e-3);
  duration.zero({ command: 'WRITE' });
  bytes.inc({ transport: 'rdma', path: 'copy' }, 4096);
  bytes.inc({ transport: 'rdma', path: 'copy' }, 10);
  bytes.inc({ transport: 'tcp', path: 'zerocopy' }, 0);
  return registry;
}

function indexed(): Registry {
  const registry = new Registry();
  const duration = new IndexedHistogram({ name: 't_duration_seconds', help: 'h', labels: [['command', COMMANDS]], buckets: BUCKETS, registers: [registry] });
  const bytes = new IndexedCounter({ name: 't_bytes_total', help: 'c', labels: [['transport', TRANSPORTS], ['path', PATHS]], registers: [registry] });
  duration.observe(0, 2e-5);
  duration.observe(0, 1e-5);
  duration.observe(0, 5);
  duration.observe(duration.valueIndex(0, 'NOT_A_COMMAND', 'OTHER'), 3e-3);
  duration.zero(1);
  bytes.inc(bytes.series(1, 1), 4096);
  bytes.inc(bytes.series(1, 1), 10);
  bytes.zero(bytes.series(0, 0));
  return registry;
}

/** Exposition lines, series in a stable order (prom-client prints series in the order first seen). */
async function lines(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter(Boolean).sort();
}

test('indexed counters and histograms print exactly what prom-client prints for the same observations', async () => {
  assert.deepEqual(await lines(indexed()), await lines(reference()));
});

test('reset empties every series, as prom-client resetMetrics does', async () => {
  const registry = indexed();
  registry.resetMetrics();
  assert.deepEqual(await lines(registry), ['# HELP t_bytes_total c', '# HELP t_duration_seconds h', '# TYPE t_bytes_total counter', '# TYPE t_duration_seconds histogram']);
});

test('a value that is not finite is refused, as prom-client refuses it', () => {
  const h = new IndexedHistogram({ name: 't_h', help: 'h', labels: [['command', COMMANDS]], buckets: BUCKETS, registers: [] });
  assert.throws(() => h.observe(0, Number.NaN), TypeError);
});
