// The `smb direct *` keys: parsing, their [MS-SMBD] ranges, defaults, printing, and how
// serve hands them (with `smbd max io size` and `max preauth frame size`) to the listener.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../ops/config.js';
import { formatConfig } from '../../ops/config-print.js';
import { ERROR_CODES } from '../../ops/errors.js';
import type { SmbDirectListenerFactory, SmbDirectListenerOptions } from '../../ops/smbdirect-hook.js';
import { smbDirectListenerOptions, startSmbDirect } from '../../ops/smbdirect-start.js';
import { SplicedMetrics } from '../../ops/metrics.js';
import type { AssembledServer } from '../../ops/assemble.js';
import type { TransportListener } from '../../server/transport.js';

const work = mkdtempSync(join(tmpdir(), 'spliced-sdconf-'));
test.after(() => rmSync(work, { recursive: true, force: true }));
const conf = join(work, 'spliced.conf');
const parse = (globals: string) => parseConfig(`[global]\n${globals}\n[s]\npath = ${work}\n`, conf);

const ALL_KEYS = `
smb direct max send size = 2K
smb direct max receive size = 8192
smb direct max fragmented size = 2M
smb direct receive credits = 128
smb direct send credit target = 64
smb direct keepalive interval = 30
smb direct idle timeout = 10
max preauth frame size = 32K
smbd max io size = 4M
`;

/** The tunables ALL_KEYS sets. */
const ALL_KEYS_LIMITS = {
  maxSendSize: 2048,
  maxReceiveSize: 8192,
  maxFragmentedSize: 2 * 1024 * 1024,
  receiveCreditMax: 128,
  sendCreditTarget: 64,
  keepaliveMs: 30_000,
  idleTimeoutMs: 10_000,
};

test('without the keys, the field defaults: 1364-byte sends and receives, 255 credits, 1 MiB fragmented, keep-alive and idle timeout 120 s', () => {
  assert.deepEqual(parse('').rdma.limits, {
    maxSendSize: 1364,
    maxReceiveSize: 1364,
    maxFragmentedSize: 1024 * 1024,
    receiveCreditMax: 255,
    sendCreditTarget: 255,
    keepaliveMs: 120_000,
    idleTimeoutMs: 120_000,
  });
});

test('each key sets its tunable; sizes take suffixes, intervals are seconds', () => {
  assert.deepEqual(parse(ALL_KEYS).rdma.limits, ALL_KEYS_LIMITS);
});

test('`spliced config` prints every key, and what it prints parses back to the same values', () => {
  const cfg = parse(ALL_KEYS);
  const printed = formatConfig(cfg);
  for (const line of [
    'smb direct max send size = 2K',
    'smb direct max receive size = 8K',
    'smb direct max fragmented size = 2M',
    'smb direct receive credits = 128',
    'smb direct send credit target = 64',
    'smb direct keepalive interval = 30',
    'smb direct idle timeout = 10',
  ]) {
    assert.ok(printed.includes(`\t${line}\n`), `printed config has "${line}"`);
  }
  assert.deepEqual(parseConfig(printed, join(work, 'again.conf')).rdma.limits, cfg.rdma.limits);
  assert.match(formatConfig(parse('')), /\tsmb direct max send size = 1364\n/);
});

test('values below the [MS-SMBD] minimums or above the bounds are refused, naming file, line, key and range', () => {
  const cases: Array<[string, RegExp, string]> = [
    // 3.1.5.6 / 3.1.5.7: a peer ends the connection when MaxReceiveSize < 128.
    ['smb direct max receive size = 127', /spliced\.conf:2: size 127 for "smb direct max receive size" is out of range \(128 to 8K\)/, ERROR_CODES.CONFIG_SIZE],
    ['smb direct max send size = 100', /"smb direct max send size" is out of range \(128 to 8K\)/, ERROR_CODES.CONFIG_SIZE],
    ['smb direct max send size = 8193', /out of range/, ERROR_CODES.CONFIG_SIZE],
    // 3.1.5.6: MaxFragmentedSize < 131072 ends the connection.
    ['smb direct max fragmented size = 131071', /"smb direct max fragmented size" is out of range \(128K to 16M\)/, ERROR_CODES.CONFIG_SIZE],
    ['smb direct max fragmented size = 17M', /out of range/, ERROR_CODES.CONFIG_SIZE],
    // 3.1.5.6 / 3.1.5.8: CreditsRequested 0 ends the connection.
    ['smb direct receive credits = 0', /spliced\.conf:2: bad number "0" for "smb direct receive credits" \(1 to 2048\)/, ERROR_CODES.CONFIG_VALUE],
    ['smb direct receive credits = 2049', /\(1 to 2048\)/, ERROR_CODES.CONFIG_VALUE],
    ['smb direct send credit target = 0', /"smb direct send credit target" \(1 to 65535\)/, ERROR_CODES.CONFIG_VALUE],
    ['smb direct send credit target = 65536', /\(1 to 65535\)/, ERROR_CODES.CONFIG_VALUE],
    ['smb direct keepalive interval = 0', /"smb direct keepalive interval" \(1 to 3600\)/, ERROR_CODES.CONFIG_VALUE],
    ['smb direct idle timeout = 3601', /"smb direct idle timeout" \(1 to 3600\)/, ERROR_CODES.CONFIG_VALUE],
    ['smb direct idle timeout = soon', /bad number "soon"/, ERROR_CODES.CONFIG_VALUE],
  ];
  for (const [line, message, code] of cases) {
    assert.throws(() => parse(line), { message, code }, line);
  }
});

test('receive credits and receive size together may pin at most 2 MiB per connection (Windows 255 x 8192 fits)', () => {
  assert.equal(parse('smb direct receive credits = 255\nsmb direct max receive size = 8K').rdma.limits.receiveCreditMax, 255);
  assert.equal(parse('smb direct receive credits = 1536\nsmb direct max receive size = 1364').rdma.limits.receiveCreditMax, 1536);
  assert.throws(() => parse('smb direct receive credits = 256\nsmb direct max receive size = 8K'), {
    code: ERROR_CODES.CONFIG_VALUE,
    message: /spliced\.conf:3: "smb direct receive credits" \+ 1 times "smb direct max receive size" \(257 x 8192\) pins 2105344 bytes per connection; at most 2M/,
  });
  // The line named is the later of the two keys.
  assert.throws(() => parse('smb direct max receive size = 8K\n\nsmb direct receive credits = 300'), { message: /spliced\.conf:4: / });
});

test('the listener options carry every key, `smbd max io size` and `max preauth frame size`', () => {
  const cfg = parse(ALL_KEYS);
  const log = pino({ level: 'silent' });
  const metrics = new SplicedMetrics();
  const o = smbDirectListenerOptions({ port: 5445, zeroCopy: false }, cfg, { metrics, log });
  assert.equal(o.port, 5445);
  assert.equal(o.zeroCopy, false);
  assert.equal(o.maxIoSize, 4 * 1024 * 1024);
  assert.equal(o.maxPreauthMessageBytes, 32 * 1024);
  assert.deepEqual(o.limits, cfg.rdma.limits);
  const defaults = smbDirectListenerOptions({ port: 5445, zeroCopy: true }, parse(''), { metrics, log });
  assert.equal(defaults.maxPreauthMessageBytes, 64 * 1024, 'the server default of max preauth frame size');
  assert.equal(defaults.limits?.keepaliveMs, 120_000);
});

test("serve's start hands the configured limits to the listener factory", async () => {
  const cfg = parse(ALL_KEYS);
  let given: SmbDirectListenerOptions | undefined;
  const factory: SmbDirectListenerFactory = (options) => {
    given = options;
    const listener: TransportListener = { kind: 'rdma', listen: async () => ({ port: options.port }), close: async () => {} };
    return listener;
  };
  const server = {
    cache: undefined,
    smb: { addListener: (l: TransportListener) => l.listen(() => {}), status: () => ({ connections: [] }) },
  } as unknown as AssembledServer;
  const plan = { go: true as const, port: 15445, zeroCopy: true, devices: [{ name: 'rxe0', netdevs: ['lo'] }], factory };
  const status = await startSmbDirect(plan, cfg, server, new SplicedMetrics(), pino({ level: 'silent' }), undefined);
  assert.equal(status.state, 'listening');
  assert.ok(given, 'the factory was called');
  assert.deepEqual(given.limits, ALL_KEYS_LIMITS);
  assert.equal(given.maxIoSize, 4 * 1024 * 1024);
  assert.equal(given.maxPreauthMessageBytes, 32 * 1024);
});

test('the listener takes the handed limits over its defaults, MaxReadWriteSize from `smbd max io size`', async () => {
  const { SmbDirectListener } = await import('../../smbdirect/listener.js');
  const o = smbDirectListenerOptions({ port: 5445, zeroCopy: true }, parse(ALL_KEYS), { metrics: new SplicedMetrics(), log: pino({ level: 'silent' }) });
  const l = new SmbDirectListener(o);
  assert.equal(l.limits.maxSendSize, 2048);
  assert.equal(l.limits.maxReceiveSize, 8192);
  assert.equal(l.limits.maxFragmentedSize, 2 * 1024 * 1024);
  assert.equal(l.limits.receiveCreditMax, 128);
  assert.equal(l.limits.sendCreditTarget, 64);
  assert.equal(l.limits.keepaliveMs, 30_000);
  assert.equal(l.limits.idleTimeoutMs, 10_000);
  assert.equal(l.limits.maxReadWriteSize, 4 * 1024 * 1024);
  assert.equal(l.limits.negotiateTimeoutMs, 5_000, 'what no key sets keeps its default');
});
