// The parser `npm run torture` and the interop tests read smbtorture's results with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSmbtortureList, parseSmbtortureOutput } from '../support/smbtorture-output.js';

const RUN = [
  'smbtorture 4.17.12-Debian',
  'Using seed 1764489281',
  'time: 2026-11-30 07:54:41.640000',
  'test: complex',
  'time: 2026-11-30 07:54:41.641068',
  'failure: complex [',
  '../../source4/torture/smb2/getinfo.c:766: status was NT_STATUS_INVALID_PARAMETER, expected NT_STATUS_OK: x',
  ']',
  'test: granted',
  'success: granted',
  'test: bug14607',
  "skip: bug14607 [",
  "../../source4/torture/smb2/read.c:394: server doesn't support FSCTL_SMBTORTURE_GLOBAL_READ_RESPONSE_FLAGS",
  ']',
  'test: valid-req',
  'error: valid-req [',
  'line one',
  'line two',
  'line three',
  'line four',
  ']',
  'test: async',
  'Testing async',
  '',
].join('\n');

test('each subtest gets its outcome and the first lines of its bracketed reason; an unfinished one is an error', () => {
  assert.deepEqual(parseSmbtortureOutput(RUN, 'timed out'), [
    { name: 'complex', outcome: 'failure', reason: '../../source4/torture/smb2/getinfo.c:766: status was NT_STATUS_INVALID_PARAMETER, expected NT_STATUS_OK: x' },
    { name: 'granted', outcome: 'success', reason: '' },
    { name: 'bug14607', outcome: 'skip', reason: "../../source4/torture/smb2/read.c:394: server doesn't support FSCTL_SMBTORTURE_GLOBAL_READ_RESPONSE_FLAGS" },
    { name: 'valid-req', outcome: 'error', reason: 'line one | line two | line three' },
    { name: 'async', outcome: 'error', reason: 'timed out' },
  ]);
});

test('a result line inside a reason is part of the reason, not a result', () => {
  const text = ['test: a', 'failure: a [', 'success: b', ']', 'test: b', 'success: b'].join('\n');
  assert.deepEqual(parseSmbtortureOutput(text), [
    { name: 'a', outcome: 'failure', reason: 'success: b' },
    { name: 'b', outcome: 'success', reason: '' },
  ]);
});

test('--list output gives the names a run reports, for a suite, a one-test suite and a single subtest', () => {
  const list = ['smbtorture 4.17.12-Debian', 'smb2.read.eof.eof', 'smb2.read.position.position', 'smb2.readx.x', ''].join('\n');
  assert.deepEqual(parseSmbtortureList(list, 'smb2.read'), ['eof', 'position']);
  assert.deepEqual(parseSmbtortureList('smbtorture 4.17.12-Debian\nsmb2.connect\n', 'smb2.connect'), ['connect']);
  assert.deepEqual(parseSmbtortureList('smb2.getinfo.normalized.normalized\n', 'smb2.getinfo.normalized'), ['normalized']);
});
