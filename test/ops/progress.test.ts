import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressBar, renderProgressLine } from '../../ops/progress.js';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (s: string) => (writes.push(s), true) } };
}

test('the progress line shows the bar, percentage, amounts and rate', () => {
  const line = renderProgressLine('reading', 50 * 1024 * 1024, 100 * 1024 * 1024, 2, 'bytes', 100);
  assert.match(line, /^reading \[#{20}-{20}\]  50% 50\.0 MiB\/100\.0 MiB 25\.0 MiB\/s$/);
  assert.match(renderProgressLine('rounds', 3, 3, 1, 'items', 80), /\[#+\] 100% 3\/3 3\.0\/s$/);
  assert.match(renderProgressLine('x', 5, 0, 0, 'items', 80), / 100% /, 'an unknown total counts as done');
});

test('on a terminal it redraws one line, throttled, and ends with a newline', () => {
  const { writes, stream } = sink(true);
  const bar = progressBar({ label: 'bench', total: 10, stream });
  for (let i = 0; i < 10; i++) bar.tick();
  assert.equal(bar.completed, 10);
  assert.equal(writes.length, 1, 'ten ticks within 100 ms draw once');
  assert.ok(writes[0]!.startsWith('\r'));
  bar.done();
  bar.done();
  assert.equal(writes.length, 2);
  assert.match(writes[1]!, /^\rbench \[#+\] 100% 10\/10 .*\x1b\[K\n$/);
});

test('in a log (not a terminal) it prints only the final line', () => {
  const { writes, stream } = sink(false);
  const bar = progressBar({ label: 'copy', total: 4096, unit: 'bytes', stream });
  bar.update(1024);
  bar.update(4096);
  assert.deepEqual(writes, []);
  bar.done();
  assert.equal(writes.length, 1);
  assert.match(writes[0]!, /^copy \[#+\] 100% 0\.0 MiB\/0\.0 MiB .*\n$/);
  assert.doesNotMatch(writes[0]!, /\r|\x1b/);
});
