import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addUser } from '../../auth/users-file.js';
import { CONFIG_DEFAULTS, ConfigError, defaultConfig, loadConfig, parseConfig } from '../../ops/config.js';
import { formatConfig } from '../../ops/config-print.js';
import { ERROR_CODES } from '../../ops/errors.js';

const work = mkdtempSync(join(tmpdir(), 'spliced-config-'));
const dirA = join(work, 'a');
const dirB = join(work, 'b');
mkdirSync(dirA);
mkdirSync(dirB);
writeFileSync(join(work, 'plain-file'), 'x');
const conf = join(work, 'spliced.conf');
test.after(() => rmSync(work, { recursive: true, force: true }));

const parse = (text: string) => parseConfig(text, conf);

test('every key, with Samba spellings', () => {
  addUser(join(work, 'users'), 'alice', 'secret');
  const cfg = parse(`
# comment
; another comment
[global]
  netbios name = fileserver
  workgroup = lab
  interfaces = "127.0.0.1;capability=RDMA,speed=100000000000" 127.0.0.2
  bind interfaces only = yes
  server min protocol = SMB3_00
  server max protocol = SMB3_02
  smbd max io size = 4MB
  tcp port = 10445
  rdma port = 5445
  server signing = required
  cache size = 1G
  metrics address = 0.0.0.0:9000
  users file = users
  map to guest = Bad User
  log level = debug

[Data]
  path = ${dirA}
  comment = "Team files"
  writeable = yes
  guest ok = no
  valid users = alice
  browseable = no
[pub]
  path = b
  read only = yes
  public = yes
`);
  const o = cfg.options;
  assert.equal(o.serverName, 'FILESERVER');
  assert.equal(o.workgroup, 'LAB');
  assert.deepEqual(o.interfaces, [
    { address: '127.0.0.1', speed: 100_000_000_000, rdmaCapable: true, rssCapable: false },
    { address: '127.0.0.2', speed: 1_000_000_000, rdmaCapable: false, rssCapable: false },
  ]);
  assert.deepEqual(o.bindAddresses, ['127.0.0.1', '127.0.0.2']);
  assert.equal(o.minDialect, 0x0300);
  assert.equal(o.maxDialect, 0x0302);
  assert.equal(o.maxIoSize, 4 * 1024 * 1024);
  assert.equal(o.tcpPort, 10445);
  assert.equal(o.rdmaPort, 5445);
  assert.deepEqual(cfg.rdma, { auto: false, zeroCopy: true, limits: CONFIG_DEFAULTS.smbDirect }, 'a port set explicitly is not auto');
  assert.equal(o.signing, 'mandatory');
  assert.equal(o.cacheBytes, 1024 ** 3);
  assert.deepEqual(cfg.metricsAddress, { host: '0.0.0.0', port: 9000 });
  assert.equal(cfg.usersFile, join(work, 'users'));
  assert.deepEqual(o.users.list(), ['alice']);
  assert.equal(o.users.lookup('ALICE')?.ntHash.length, 16);
  assert.equal(cfg.mapToGuest, 'bad user');
  assert.equal(o.mapToGuest, 'bad user');
  assert.equal(cfg.logLevel, 'debug');
  assert.deepEqual(o.shares, [
    { name: 'Data', path: dirA, readOnly: false, guestOk: false, validUsers: ['alice'], browseable: false, comment: 'Team files' },
    { name: 'pub', path: dirB, readOnly: true, guestOk: true, validUsers: [], browseable: true, comment: '' },
  ]);
  assert.deepEqual(cfg.warnings, []);
});

test('defaults when keys are absent: Samba share defaults, signing auto, port 4450', () => {
  const cfg = parse(`[s]\npath = ${dirA}\n`);
  assert.deepEqual(cfg.options.shares[0], { name: 's', path: dirA, readOnly: true, guestOk: false, validUsers: [], browseable: true, comment: '' });
  assert.equal(cfg.options.signing, 'auto');
  assert.equal(cfg.options.tcpPort, 4450);
  assert.equal(cfg.options.rdmaPort, 5445, 'SMB Direct port when the host has an RDMA device');
  assert.deepEqual(cfg.rdma, { auto: true, zeroCopy: true, limits: CONFIG_DEFAULTS.smbDirect });
  assert.deepEqual([cfg.options.minDialect, cfg.options.maxDialect], [0x0202, 0x0311]);
  assert.deepEqual(cfg.options.bindAddresses, ['0.0.0.0']);
  assert.deepEqual(cfg.metricsAddress, { host: '127.0.0.1', port: 9445 });
  assert.equal(cfg.mapToGuest, 'never');
  assert.equal(cfg.options.mapToGuest, 'never');
  assert.equal(cfg.options.users.list().length, 0);
});

test('booleans: yes/no/true/false/on/off/1/0 in any case; write ok and writable invert read only', () => {
  const cases: Array<[string, boolean]> = [
    ['read only = Yes', true], ['read only = NO', false], ['read only = true', true], ['read only = False', false],
    ['read only = on', true], ['read only = OFF', false], ['read only = 1', true], ['read only = 0', false],
    ['writeable = yes', false], ['writable = no', true], ['write ok = yes', false], ['Read   Only = no', false],
  ];
  for (const [line, readOnly] of cases) {
    assert.equal(parse(`[s]\npath = ${dirA}\n${line}\n`).options.shares[0]!.readOnly, readOnly, line);
  }
});

test('sizes take binary suffixes in every spelling', () => {
  const cases: Array<[string, number]> = [
    ['65536', 65536], ['64K', 65536], ['64k', 65536], ['64KB', 65536], ['64KiB', 65536], ['1M', 1 << 20],
    ['1 MB', 1 << 20], ['8MiB', 8 << 20], ['0.5M', 512 * 1024], ['1536K', 1536 * 1024],
  ];
  for (const [text, bytes] of cases) assert.equal(parse(`smbd max io size = ${text}\n`).options.maxIoSize, bytes, text);
  assert.equal(parse('cache size = 2G\n').options.cacheBytes, 2 * 1024 ** 3);
});

test('protocols as Samba spells them', () => {
  const cases: Array<[string, number]> = [['SMB2_02', 0x0202], ['SMB2_10', 0x0210], ['smb3_00', 0x0300], ['SMB3_02', 0x0302], ['SMB3_11', 0x0311], ['SMB2', 0x0210], ['SMB3', 0x0311]];
  for (const [name, dialect] of cases) assert.equal(parse(`server max protocol = ${name}\n`).options.maxDialect, dialect, name);
  const nt1 = parse('server min protocol = NT1\n');
  assert.equal(nt1.options.minDialect, 0x0202);
  assert.match(nt1.warnings.join('\n'), /spliced\.conf:1: SMB1 is not supported/);
});

test('signing: disabled/auto/mandatory and the yes/no/required spellings', () => {
  const cases: Array<[string, string]> = [
    ['disabled', 'disabled'], ['no', 'disabled'], ['off', 'disabled'], ['auto', 'auto'], ['yes', 'auto'], ['default', 'auto'],
    ['if_required', 'auto'], ['mandatory', 'mandatory'], ['required', 'mandatory'], ['Mandatory', 'mandatory'],
  ];
  for (const [word, policy] of cases) assert.equal(parse(`server signing = ${word}\n`).options.signing, policy, word);
});

test('lists: valid users split on commas and spaces; interfaces keep quoted options together', () => {
  const cfg = parse(`users file = nobody-here\n[s]\npath = ${dirA}\nvalid users = alice, bob  carol,dave\n`);
  assert.deepEqual(cfg.options.shares[0]!.validUsers, ['alice', 'bob', 'carol', 'dave']);
  assert.equal(cfg.warnings.filter((w) => /is not in the users file/.test(w)).length, 4);
  const ifs = parse('interfaces = lo;capability=RSS,capability=RDMA,speed=25000000000\n').options.interfaces;
  assert.ok(ifs.some((i) => i.address === '127.0.0.1'));
  for (const i of ifs) assert.deepEqual([i.rdmaCapable, i.rssCapable, i.speed], [true, true, 25_000_000_000]);
});

test('share parameters in [global] are defaults for every share', () => {
  const cfg = parse(`[global]\nread only = no\nguest ok = yes\n[a]\npath = ${dirA}\n[b]\npath = ${dirB}\nread only = yes\n`);
  assert.deepEqual(cfg.options.shares.map((s) => [s.name, s.readOnly, s.guestOk]), [['a', false, true], ['b', true, true]]);
});

test('unknown and misplaced keys warn with file:line; later duplicates win with a warning', () => {
  const cfg = parse(`[global]\nfrobnicate = 3\ntcp port = 1000\ntcp port = 2000\n[s]\npath = ${dirA}\nrdma port = 5445\noplocks = yes\n[homes]\nbrowseable = no\n`);
  assert.equal(cfg.options.tcpPort, 2000);
  assert.deepEqual(cfg.warnings, [
    `${conf}:2: unknown parameter "frobnicate" ignored`,
    `${conf}:4: "tcp port" already set at line 3; this value wins`,
    `${conf}:7: global parameter "rdma port" in share [s] ignored`,
    `${conf}:8: unknown parameter "oplocks" ignored`,
    `${conf}:9: [homes] is a Samba special section that spliced does not support; skipped`,
  ]);
});

test('continuation lines and keys before any section', () => {
  const cfg = parse(`tcp port = 3000\n[s]\npath = \\\n  ${dirA}\ncomment = two \\\nparts\n`);
  assert.equal(cfg.options.tcpPort, 3000);
  assert.equal(cfg.options.shares[0]!.path, dirA);
  assert.equal(cfg.options.shares[0]!.comment, 'two parts');
});

const BAD: Array<[string, string, number, string]> = [
  ['bad boolean', `[s]\npath = ${dirA}\nread only = maybe\n`, 3, 'unknown boolean "maybe" for "read only"'],
  ['bad size suffix', 'smbd max io size = 12XB\n', 1, 'bad size "12XB" for "smbd max io size"'],
  ['negative size', 'cache size = -4M\n', 1, 'bad size "-4M"'],
  ['size out of range', 'smbd max io size = 64M\n', 1, 'size 64M for "smbd max io size" is out of range'],
  ['port not a number', 'tcp port = http\n', 1, 'bad port "http" for "tcp port"'],
  ['port too big', '\n\ntcp port = 70000\n', 3, 'bad port "70000"'],
  ['metrics port bad', 'metrics address = localhost:99999\n', 1, 'bad port "99999" for "metrics address"'],
  ['metrics no port', 'metrics address = localhost\n', 1, 'bad address "localhost" for "metrics address"'],
  ['unknown protocol', 'server max protocol = SMB4\n', 1, 'unknown protocol "SMB4"'],
  ['max SMB1', 'server max protocol = NT1\n', 1, 'SMB1 is not supported'],
  ['min above max', 'server min protocol = SMB3_11\nserver max protocol = SMB2_10\n', 2, 'higher than'],
  ['bad signing', 'server signing = sometimes\n', 1, 'unknown value "sometimes" for "server signing"'],
  ['bad map to guest', 'map to guest = everyone\n', 1, 'unknown value "everyone" for "map to guest"'],
  ['bad log level', 'log level = loud\n', 1, 'unknown log level "loud"'],
  ['bad interface', 'interfaces = nosuchif0\n', 1, 'interface "nosuchif0"'],
  ['bad interface option', 'interfaces = "127.0.0.1;capability=FAST"\n', 1, 'bad interface option "capability=FAST"'],
  ['bind without interfaces', 'bind interfaces only = yes\n', 1, 'needs "interfaces"'],
  ['missing path', '[s]\ncomment = x\n', 1, 'share [s] has no "path"'],
  ['path missing', `[s]\n\npath = ${join(work, 'nope')}\n`, 3, 'does not exist'],
  ['path not a dir', `[s]\npath = ${join(work, 'plain-file')}\n`, 2, 'is not a directory'],
  ['duplicate share', `[s]\npath = ${dirA}\n[S]\npath = ${dirB}\n`, 3, 'duplicate share [S] (first defined at line 1)'],
  ['bad share name', `[a/b]\npath = ${dirA}\n`, 1, 'bad share name [a/b]'],
  ['IPC$ share', `[IPC$]\npath = ${dirA}\n`, 1, 'bad share name [IPC$]'],
  ['bad header', '[global\n', 1, 'bad section header'],
  ['no equals', '[global]\njust some words\n', 2, 'expected "key = value"'],
  ['group in valid users', `[s]\npath = ${dirA}\nvalid users = @staff\n`, 3, 'groups are not supported'],
  ['bad users file', 'users file = users.bad\n', 1, 'cannot read users file'],
];

test('bad configs are rejected with file:line and a stable code', () => {
  writeFileSync(join(work, 'users.bad'), 'alice:nothex\n');
  for (const [what, text, line, message] of BAD) {
    assert.throws(
      () => parse(text),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `${what}: ConfigError`);
        assert.equal(err.file, conf, what);
        assert.equal(err.line, line, `${what}: line`);
        assert.ok(err.message.startsWith(`${conf}:${line}: `), `${what}: "${err.message}"`);
        assert.ok(err.message.includes(message), `${what}: "${err.message}" should include "${message}"`);
        assert.match(err.code, /^SPLICED_ERR_CONFIG_[A-Z_]+$/);
        return true;
      },
      what,
    );
  }
});

test('the message reads like the issue example', () => {
  const text = `${'\n'.repeat(9)}[s]\npath = ${dirA}\nread only = maybe\n`;
  assert.throws(() => parseConfig(text, 'spliced.conf'), { message: 'spliced.conf:12: unknown boolean "maybe" for "read only" (use yes or no)', code: ERROR_CODES.CONFIG_BOOLEAN });
});

test('loadConfig reads a file and names it; a missing file is a clear error', () => {
  writeFileSync(conf, `[s]\npath = ${dirA}\n`);
  assert.equal(loadConfig(conf).options.shares[0]!.path, dirA);
  assert.throws(() => loadConfig(join(work, 'missing.conf')), { code: ERROR_CODES.CONFIG_READ, message: /missing\.conf: cannot read config: ENOENT/ });
});

test('the printed effective config parses back to the same options', () => {
  addUser(join(work, 'users'), 'bob', 'pw');
  const cfg = parse(`[global]\ninterfaces = "127.0.0.1;capability=RDMA,speed=10000000000"\nbind interfaces only = yes\nserver signing = disabled\nsmbd max io size = 1M\nusers file = users\nserver min protocol = SMB2_10\n[Data]\npath = ${dirA}\nwrite ok = yes\nvalid users = alice bob\ncomment = Team files\n`);
  const printed = formatConfig(cfg);
  assert.match(printed, /^\[global\]$/m);
  assert.match(printed, /^\tsmbd max io size = 1M$/m);
  assert.match(printed, /^\tserver min protocol = SMB2_10$/m);
  assert.match(printed, /^\tread only = No$/m);
  const again = parseConfig(printed, join(work, 'printed.conf'));
  const { users: u1, ...o1 } = cfg.options;
  const { users: u2, ...o2 } = again.options;
  assert.deepEqual(o2, o1);
  assert.deepEqual(u2.list(), u1.list());
  assert.deepEqual([again.metricsAddress, again.mapToGuest, again.logLevel], [cfg.metricsAddress, cfg.mapToGuest, cfg.logLevel]);
});

test('the embedded default: a guest-writable demo share in a seeded directory, signing never required', () => {
  const demo = join(work, 'demo');
  const saved = process.env.SPLICED_DEMO_DIR;
  process.env.SPLICED_DEMO_DIR = demo;
  try {
    const cfg = defaultConfig();
    assert.deepEqual(cfg.options.shares, [{ name: 'demo', path: demo, readOnly: false, guestOk: true, validUsers: [], browseable: true, comment: 'spliced demo share' }]);
    assert.equal(cfg.options.tcpPort, 4450);
    assert.equal(cfg.options.signing, 'auto');
    assert.deepEqual(cfg.metricsAddress, { host: '127.0.0.1', port: 9445 });
    assert.equal(cfg.usersFile, undefined);
    assert.match(readFileSync(join(demo, 'README.txt'), 'utf8'), /spliced demo share/);
    const sample = readFileSync(join(demo, 'sample.bin'));
    assert.equal(sample.length, 256 * 1024);
    assert.equal(sample.readUInt32LE(4096), 4096);
    // The default is itself a valid config.
    assert.deepEqual(parseConfig(formatConfig(cfg), join(work, 'default.conf')).options.shares, cfg.options.shares);
  } finally {
    if (saved === undefined) delete process.env.SPLICED_DEMO_DIR;
    else process.env.SPLICED_DEMO_DIR = saved;
  }
});

test('map to guest = bad password is served as bad user, with a warning', () => {
  const cfg = parse(`[global]\nmap to guest = Bad Password\n[s]\npath = ${dirA}\n`);
  assert.equal(cfg.options.mapToGuest, 'bad user');
  assert.match(cfg.warnings.join('\n'), /bad password.*treated as "bad user"/);
});

test('cache size = 0 turns the page cache off and prints back as 0', () => {
  const cfg = parse(`[global]\ncache size = 0\n[s]\npath = ${dirA}\n`);
  assert.equal(cfg.options.cacheBytes, 0);
  assert.equal(parseConfig(formatConfig(cfg), join(work, 'again.conf')).options.cacheBytes, 0);
  assert.throws(() => parse(`[global]\ncache size = 1K\n[s]\npath = ${dirA}\n`), /cache size/);
});

test('limit keys: connections, deadtime, frame timeout, pre-auth frame and READ bytes, printed back the same', () => {
  const cfg = parse(`[global]\nmax connections = 200\nmax connections per address = 8\ndeadtime = 5\nframe timeout = 10\nmax preauth frame size = 32K\nmax request bytes per connection = 24M\nmax read bytes per connection = 16M\nmax read bytes = 1G\n[Data]\npath = ${dirA}\n`);
  const l = cfg.options.limits;
  assert.equal(l.maxConnections, 200);
  assert.equal(l.maxConnectionsPerAddress, 8);
  assert.equal(l.idleTimeoutMs, 5 * 60_000);
  assert.equal(l.frameTimeoutMs, 10_000);
  assert.equal(l.maxPreauthMessageBytes, 32 * 1024);
  assert.equal(l.maxRequestBytesPerConnection, 24 * 1024 * 1024);
  assert.equal(l.maxReadBytesPerConnection, 16 * 1024 * 1024);
  assert.equal(l.maxReadBytes, 1024 ** 3);
  assert.deepEqual(parseConfig(formatConfig(cfg), join(work, 'limits.conf')).options.limits, l);
  const defaults = parse(`[Data]\npath = ${dirA}\n`).options.limits;
  assert.equal(defaults.maxConnections, 1024);
  assert.equal(defaults.idleTimeoutMs, 15 * 60_000);
  assert.throws(() => parse('[global]\nmax connections = 0\n'), { code: ERROR_CODES.CONFIG_VALUE });
  assert.throws(() => parse('[global]\nframe timeout = soon\n'), { code: ERROR_CODES.CONFIG_VALUE });
  assert.throws(() => parse('[global]\nmax read bytes per connection = 1M\n'), { code: ERROR_CODES.CONFIG_SIZE });
});

test('write cache: through by default, behind only when asked, printed back', () => {
  const plain = parse(`[s]\npath = ${dirA}\n`);
  assert.equal(plain.options.writeBehind, false);
  assert.match(formatConfig(plain), /\twrite cache = through\n/);
  const behind = parse(`[global]\nwrite cache = Behind\n[s]\npath = ${dirA}\n`);
  assert.equal(behind.options.writeBehind, true);
  assert.match(formatConfig(behind), /\twrite cache = behind\n/);
  assert.throws(() => parse(`[global]\nwrite cache = later\n[s]\npath = ${dirA}\n`), /unknown value "later" for "write cache"/);
});

test('rdma port: unset or auto = 5445 when RDMA is usable, 0 = off, a number = that port; rdma zero copy is a boolean', () => {
  const at = (text: string) => parse(`[global]\n${text}\n[s]\npath = ${dirA}\n`);
  assert.deepEqual([at('rdma port = auto').options.rdmaPort, at('rdma port = AUTO').rdma.auto], [5445, true]);
  assert.deepEqual([at('rdma port = 0').options.rdmaPort, at('rdma port = 0').rdma.auto], [0, false]);
  assert.deepEqual([at('rdma port = 445').options.rdmaPort, at('rdma port = 445').rdma.auto], [445, false]);
  assert.equal(at('rdma zero copy = no').rdma.zeroCopy, false);
  assert.equal(at('rdma zero copy = yes').rdma.zeroCopy, true);
  assert.throws(() => at('rdma zero copy = sometimes'), /:2: unknown boolean "sometimes" for "rdma zero copy"/);
  assert.throws(() => at('rdma port = automatic'), /:2: bad port "automatic" for "rdma port"/);
  for (const text of ['', 'rdma port = 0\nrdma zero copy = no', 'rdma port = 6000']) {
    const cfg = at(text);
    const again = parseConfig(formatConfig(cfg), join(work, 'rdma.conf'));
    assert.deepEqual([again.options.rdmaPort, again.rdma], [cfg.options.rdmaPort, cfg.rdma], `printed config round-trips: ${JSON.stringify(text)}`);
  }
});
