/**
 * spliced's ClientAuthExchange and signing against a real Samba smbd: NTLMv2 with MIC, SPNEGO
 * mechListMIC both ways, the 3.1.1 preauth hash, the KDF and the signatures are judged by
 * Samba, not by our own server. Spawns a private smbd on a loopback port.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Reader } from '../../wire/index.js';
import { ClientAuthExchange } from '../../auth/ntlm-client.js';
import { Dialect, SigningAlgorithm, signInPlace, signingKey, verify } from '../../auth/signing.js';
import { PreauthHash } from '../../auth/preauth.js';
import { cat, hex, le16, le32, le64, utf16, zeros } from '../support/bytes.js';
import { freePort, waitForPort } from '../support/net.js';
import { sambaAvailable, spawnSmbd, writePrivateSambaConfig } from '../support/samba.js';

const PDBEDIT = '/usr/bin/pdbedit';
const haveSamba = sambaAvailable() && existsSync(PDBEDIT);
const skip = !haveSamba;
if (skip) console.log('# skipping smbd interop tests: smbd/pdbedit not found, install the Debian package samba to run them');
const USER = 'nobody';
const PASSWORD = 'Sp1iced-secret';

const STATUS_SUCCESS = 0;
const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
const STATUS_LOGON_FAILURE = 0xc000006d;

let dir = '';
let port = 0;
let smbd: ChildProcess | undefined;

function writeConfig(): string {
  mkdirSync(join(dir, 'share'));
  const globals = [
    'workgroup = WORKGROUP', 'netbios name = AUTHINTEROP', `passdb backend = tdbsam:${join(dir, 'private/passdb.tdb')}`,
    'server signing = mandatory', 'server min protocol = SMB2_02', 'disable spoolss = yes', 'map to guest = never',
  ];
  return writePrivateSambaConfig(dir, port, globals, ['[share]', `path = ${join(dir, 'share')}`, 'read only = no']);
}

before(async () => {
  if (!haveSamba) return;
  dir = mkdtempSync(join(tmpdir(), 'spliced-auth-smbd-'));
  port = await freePort();
  const conf = writeConfig();
  const added = spawnSync(PDBEDIT, ['-s', conf, '-a', '-u', USER, '-t'], { input: `${PASSWORD}\n${PASSWORD}\n` });
  if (added.status !== 0) throw new Error(`pdbedit failed: ${added.stderr}`);
  // Its own process group: smbd signals its whole group when it shuts down.
  smbd = spawnSmbd(conf);
  await waitForPort(port, 5_000);
});

after(async () => {
  if (smbd?.pid && smbd.exitCode === null) {
    const exited = new Promise((resolve) => smbd!.once('exit', resolve));
    process.kill(-smbd.pid, 'SIGKILL');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** One TCP connection with NetBIOS session framing, [MS-SMB2] 2.1. */
class Connection {
  private pending = Buffer.alloc(0);
  private waiting?: (b: Buffer) => void;
  private messageId = 0n;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d) => {
      this.pending = Buffer.concat([this.pending, d]);
      this.deliver();
    });
  }

  static open(): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new Connection(s)));
      s.on('error', reject);
    });
  }

  private deliver(): void {
    if (!this.waiting || this.pending.length < 4) return;
    const length = this.pending.readUInt32BE(0) & 0xffffff;
    if (this.pending.length < 4 + length) return;
    const message = this.pending.subarray(4, 4 + length);
    this.pending = this.pending.subarray(4 + length);
    const w = this.waiting;
    this.waiting = undefined;
    w(Buffer.from(message));
  }

  nextMessageId(): bigint {
    return this.messageId++;
  }

  exchange(message: Buffer): Promise<Buffer> {
    const frame = Buffer.alloc(4);
    frame.writeUInt32BE(message.length);
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.socket.write(cat(frame, message));
      this.deliver();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** SMB2 sync header, [MS-SMB2] 2.2.1.2. */
function header(command: number, messageId: bigint, sessionId = 0n, treeId = 0): Buffer {
  return cat(hex('fe 53 4d 42'), le16(64), le16(messageId === 0n ? 0 : 1), le32(0), le16(command), le16(64),
    le32(0), le32(0), le64(messageId), le32(0xfeff), le32(treeId), le64(sessionId), zeros(16));
}

/**
 * NEGOTIATE request offering one dialect, [MS-SMB2] 2.2.3; 3.1.1 carries
 * SMB2_PREAUTH_INTEGRITY_CAPABILITIES and, when asked, SMB2_SIGNING_CAPABILITIES (2.2.3.1.7).
 */
function negotiateRequest(c: Connection, dialect: number, signingAlgorithm?: number): Buffer {
  const body = cat(le16(36), le16(1), le16(0x0001), le16(0), le32(0), randomBytes(16));
  if (dialect !== Dialect.SMB311) return cat(header(0, c.nextMessageId()), body, le32(0), le16(0), le16(0), le16(dialect));
  const preauth = cat(le16(1), le16(32), le16(0x0001), randomBytes(32));
  const contexts = [cat(le16(0x0001), le16(preauth.length), le32(0), preauth, zeros(2))];
  if (signingAlgorithm !== undefined) contexts.push(cat(le16(0x0008), le16(4), le32(0), le16(1), le16(signingAlgorithm)));
  return cat(header(0, c.nextMessageId()), body, le32(104), le16(contexts.length), le16(0), le16(dialect), zeros(2), ...contexts);
}

/** The SigningAlgorithmId smbd chose in its SMB2_SIGNING_CAPABILITIES response context, if any. */
function chosenSigningAlgorithm(response: Buffer): number | undefined {
  const r = new Reader(response);
  r.seek(64 + 6);
  const count = r.u16();
  r.seek(64 + 60);
  r.seek(r.u32());
  for (let i = 0; i < count; i++) {
    r.align(8);
    const type = r.u16();
    const length = r.u16();
    r.skip(4);
    const data = new Reader(r.bytes(length));
    if (type === 0x0008 && data.u16() === 1) return data.u16();
  }
  return undefined;
}

/** SESSION_SETUP request, [MS-SMB2] 2.2.5: the security buffer right after the 24-byte body. */
function sessionSetupRequest(c: Connection, sessionId: bigint, token: Buffer): Buffer {
  const body = cat(le16(25), [0, 0x01], le32(0), le32(0), le16(64 + 24), le16(token.length), le64(0));
  return cat(header(1, c.nextMessageId(), sessionId), body, token);
}

function treeConnectRequest(c: Connection, sessionId: bigint, path: string): Buffer {
  const name = utf16(path);
  return cat(header(3, c.nextMessageId(), sessionId), le16(9), le16(0), le16(64 + 8), le16(name.length), name);
}

interface Reply { status: number; sessionId: bigint; flags: number; securityBuffer: Buffer; raw: Buffer }

function parseSessionSetupResponse(raw: Buffer): Reply {
  const r = new Reader(raw);
  r.seek(8);
  const status = r.u32();
  r.seek(16);
  const flags = r.u32();
  r.seek(40);
  const sessionId = r.u64();
  if (raw.length <= 64 + 8) return { status, sessionId, flags, securityBuffer: Buffer.alloc(0), raw };
  r.seek(64 + 4);
  const offset = r.u16();
  const length = r.u16();
  return { status, sessionId, flags, securityBuffer: r.slice(offset, length), raw };
}

async function login(dialect: number, password: string, signingAlgorithm?: number) {
  const c = await Connection.open();
  const preauth = new PreauthHash();
  const negotiate = negotiateRequest(c, dialect, signingAlgorithm);
  const negotiated = await c.exchange(negotiate);
  assert.equal(negotiated.readUInt32LE(8), STATUS_SUCCESS, 'NEGOTIATE');
  assert.equal(negotiated.readUInt16LE(64 + 4), dialect, 'negotiated dialect');
  if (signingAlgorithm !== undefined) assert.equal(chosenSigningAlgorithm(negotiated), signingAlgorithm, 'smbd chose our signing algorithm');
  preauth.update(negotiate).update(negotiated);
  const session = preauth.clone();

  const client = new ClientAuthExchange({ user: USER, password, domain: 'WORKGROUP' });
  const req1 = sessionSetupRequest(c, 0n, client.first());
  const res1 = parseSessionSetupResponse(await c.exchange(req1));
  assert.equal(res1.status, STATUS_MORE_PROCESSING_REQUIRED);
  session.update(req1).update(res1.raw);
  const req2 = sessionSetupRequest(c, res1.sessionId, client.next(res1.securityBuffer));
  session.update(req2);
  const res2 = parseSessionSetupResponse(await c.exchange(req2));
  return { c, client, res2, sessionId: res1.sessionId, preauth: session.value };
}

const CASES: Array<[number, number | undefined]> = [
  [Dialect.SMB210, undefined],
  [Dialect.SMB302, undefined],
  [Dialect.SMB311, undefined],
  [Dialect.SMB311, SigningAlgorithm.AES_GMAC],
];

for (const [dialect, algorithm] of CASES) {
  const name = `0x${dialect.toString(16).padStart(4, '0')}${algorithm === SigningAlgorithm.AES_GMAC ? ' with AES-GMAC' : ''}`;
  test(`smbd accepts our NTLMv2/SPNEGO login at dialect ${name}; signatures verify both ways`, { skip }, async () => {
    const { c, client, res2, sessionId, preauth } = await login(dialect, PASSWORD, algorithm);
    try {
      assert.equal(res2.status, STATUS_SUCCESS, `SESSION_SETUP status 0x${res2.status.toString(16)}`);
      client.next(res2.securityBuffer);
      assert.equal(client.serverMicVerified, true, 'Samba sent a mechListMIC that verified');
      const key = signingKey(dialect, client.sessionKey, preauth);
      assert.ok(res2.flags & 0x8, 'final SESSION_SETUP response is signed');
      assert.equal(verify(dialect, key, res2.raw, algorithm), true, 'smbd signature verifies with our signing key');

      const tree = treeConnectRequest(c, sessionId, '\\\\127.0.0.1\\share');
      signInPlace(dialect, key, tree, algorithm);
      const treeReply = await c.exchange(tree);
      assert.equal(treeReply.readUInt32LE(8), STATUS_SUCCESS, 'smbd accepted our signed TREE_CONNECT');
      assert.equal(verify(dialect, key, treeReply, algorithm), true, 'TREE_CONNECT response signature verifies');
    } finally {
      c.close();
    }
  });
}

test('smbd refuses our client with a wrong password', { skip }, async () => {
  const { c, res2 } = await login(Dialect.SMB311, 'not-the-password');
  c.close();
  assert.equal(res2.status, STATUS_LOGON_FAILURE);
});
