/**
 * Samba's smbclient as the judge of ServerAuthExchange: a minimal SMB2 responder (NEGOTIATE,
 * SESSION_SETUP, TREE_CONNECT) built only for this test drives our SPNEGO/NTLMv2 server side.
 * smbclient must accept our CHALLENGE, our mechListMIC and our signed final SESSION_SETUP
 * response, then send a TREE_CONNECT whose signature we verify; we refuse the share with
 * STATUS_BAD_NETWORK_NAME, so smbclient printing that status proves the login got through.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Reader } from '../../wire/index.js';
import { ServerAuthExchange } from '../../auth/server-session-auth.js';
import { spnegoNegotiateToken } from '../../auth/spnego.js';
import type { AuthResult } from '../../auth/ntlm-server.js';
import { Dialect, signInPlace, signingKey, verify } from '../../auth/signing.js';
import { PreauthHash } from '../../auth/preauth.js';
import { ntHash } from '../../auth/nt-hash.js';
import { MemoryUserDb } from '../../auth/user-db.js';
import { cat, le16, le32, le64, zeros } from '../support/bytes.js';

const SMBCLIENT = '/usr/bin/smbclient';
const skip = !existsSync(SMBCLIENT);
if (skip) console.log('# skipping smbclient interop tests: smbclient not found, install the Debian package smbclient to run them');

const STATUS = { SUCCESS: 0, MORE_PROCESSING_REQUIRED: 0xc0000016, BAD_NETWORK_NAME: 0xc00000cc, NOT_SUPPORTED: 0xc00000bb } as const;
const COMMAND = { NEGOTIATE: 0, SESSION_SETUP: 1, TREE_CONNECT: 3 } as const;
const users = new MemoryUserDb([{ name: 'alice', ntHash: ntHash('Wonder-land 9') }]);

const dir = mkdtempSync(join(tmpdir(), 'spliced-auth-smbclient-'));
const conf = join(dir, 'smb.conf');
writeFileSync(conf, '[global]\n');
after(() => rmSync(dir, { recursive: true, force: true }));

interface Observed { results: AuthResult[]; authErrors: string[]; treeConnectSignatureOk: boolean[] }

/** SMB2 response header, [MS-SMB2] 2.2.1.2, echoing the request's MessageId. */
function responseHeader(request: Buffer, status: number, sessionId: bigint): Buffer {
  const r = new Reader(request);
  r.seek(12);
  const command = r.u16();
  r.seek(24);
  const messageId = r.u64();
  r.seek(36);
  const treeId = r.u32();
  return cat(Buffer.from([0xfe, 0x53, 0x4d, 0x42]), le16(64), le16(0), le32(status), le16(command), le16(64),
    le32(0x1), le32(0), le64(messageId), le32(0xfeff), le32(treeId), le64(sessionId), zeros(16));
}

/** NEGOTIATE response, [MS-SMB2] 2.2.4, with SMB2_PREAUTH_INTEGRITY_CAPABILITIES for 3.1.1. */
function negotiateResponse(request: Buffer, dialect: number): Buffer {
  const blob = spnegoNegotiateToken();
  const now = BigInt(Date.now() + 11644473600000) * 10000n;
  const contextsAt = 64 + 64 + blob.length + ((8 - (blob.length % 8)) % 8);
  const is311 = dialect === Dialect.SMB311;
  const body = cat(le16(65), le16(0x0003), le16(dialect), le16(is311 ? 1 : 0), randomBytes(16), le32(0),
    le32(65536), le32(65536), le32(65536), le64(now), le64(0), le16(128), le16(blob.length), le32(is311 ? contextsAt : 0), blob);
  if (!is311) return cat(responseHeader(request, STATUS.SUCCESS, 0n), body);
  const preauth = cat(le16(1), le16(32), le16(0x0001), randomBytes(32));
  const pad = zeros((8 - (body.length % 8)) % 8);
  return cat(responseHeader(request, STATUS.SUCCESS, 0n), body, pad, le16(0x0001), le16(preauth.length), le32(0), preauth);
}

function sessionSetupResponse(request: Buffer, status: number, sessionId: bigint, token: Buffer, guest: boolean): Buffer {
  return cat(responseHeader(request, status, sessionId), le16(9), le16(guest ? 1 : 0), le16(72), le16(token.length), token);
}

function errorResponse(request: Buffer, status: number, sessionId: bigint): Buffer {
  return cat(responseHeader(request, status, sessionId), le16(9), [0, 0], le32(0), [0]);
}

function sessionSetupToken(request: Buffer): Buffer {
  const r = new Reader(request);
  r.seek(64 + 12);
  const offset = r.u16();
  const length = r.u16();
  return r.slice(offset, length);
}

/** Serves one connection: negotiate, authenticate, then check the signed TREE_CONNECT. */
function serveConnection(socket: Socket, dialect: number, observed: Observed, guest: boolean): void {
  const preauth = new PreauthHash();
  let session: PreauthHash | undefined;
  let auth: ServerAuthExchange | undefined;
  let key: Buffer | undefined;
  const sessionId = 0x1000000000001n;
  const reply = (message: Buffer): void => {
    const frame = Buffer.alloc(4);
    frame.writeUInt32BE(message.length);
    socket.write(cat(frame, message));
  };
  const handle = (request: Buffer): void => {
    const command = request.readUInt16LE(12);
    if (command === COMMAND.NEGOTIATE) {
      const response = negotiateResponse(request, dialect);
      preauth.update(request).update(response);
      return reply(response);
    }
    if (command === COMMAND.SESSION_SETUP) {
      session ??= preauth.clone();
      auth ??= new ServerAuthExchange({ users, serverName: 'SPLICED', domain: 'WORKGROUP', mapUnknownUserToGuest: guest });
      session.update(request);
      let step;
      try {
        step = auth.step(sessionSetupToken(request));
      } catch (e) {
        observed.authErrors.push((e as Error).message);
        return reply(errorResponse(request, (e as { status?: number }).status ?? 0xc000006d, sessionId));
      }
      if (!step.done) {
        const response = sessionSetupResponse(request, STATUS.MORE_PROCESSING_REQUIRED, sessionId, step.outToken, false);
        session.update(response);
        return reply(response);
      }
      observed.results.push(step.result);
      const response = sessionSetupResponse(request, STATUS.SUCCESS, sessionId, step.outToken, step.result.guest);
      if (step.result.sessionKey.length > 0) {
        key = signingKey(dialect, step.result.sessionKey, session.value);
        signInPlace(dialect, key, response);
      }
      return reply(response);
    }
    if (command === COMMAND.TREE_CONNECT) {
      const response = errorResponse(request, STATUS.BAD_NETWORK_NAME, sessionId);
      if (key) {
        observed.treeConnectSignatureOk.push(verify(dialect, key, request));
        signInPlace(dialect, key, response);
      }
      return reply(response);
    }
    reply(errorResponse(request, STATUS.NOT_SUPPORTED, sessionId));
  };
  let pending = Buffer.alloc(0);
  socket.on('data', (d) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 4 && pending.length >= 4 + (pending.readUInt32BE(0) & 0xffffff)) {
      const length = pending.readUInt32BE(0) & 0xffffff;
      const message = Buffer.from(pending.subarray(4, 4 + length));
      pending = pending.subarray(4 + length);
      handle(message);
    }
  });
  socket.on('error', () => {});
}

async function listen(dialect: number, observed: Observed, guest = false): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => serveConnection(s, dialect, observed, guest));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

function runSmbclient(port: number, protocol: string, credentials: string, signing = 'required'): Promise<string> {
  const args = ['-s', conf, '-p', String(port), '//127.0.0.1/share', '-U', credentials, '-m', protocol,
    `--option=client min protocol=${protocol}`, `--option=client signing=${signing}`, '--use-kerberos=off', '-c', 'ls'];
  return new Promise((resolve) => {
    const child = spawn(SMBCLIENT, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill(), 20000);
    child.on('exit', () => (clearTimeout(timer), resolve(out)));
  });
}

const PROTOCOLS: Array<[string, number]> = [['SMB3_11', Dialect.SMB311], ['SMB3_02', Dialect.SMB302], ['SMB2_10', Dialect.SMB210]];

for (const [protocol, dialect] of PROTOCOLS) {
  test(`smbclient (${protocol}) logs in through ServerAuthExchange and signs with our key`, { skip }, async () => {
    const observed: Observed = { results: [], authErrors: [], treeConnectSignatureOk: [] };
    const { server, port } = await listen(dialect, observed);
    try {
      const output = await runSmbclient(port, protocol, 'ALICE%Wonder-land 9');
      assert.deepEqual(observed.authErrors, []);
      assert.equal(observed.results.length, 1, output);
      assert.equal(observed.results[0].user, 'alice');
      assert.equal(observed.results[0].sessionKey.length, 16);
      assert.deepEqual(observed.treeConnectSignatureOk, [true], output);
      assert.match(output, /NT_STATUS_BAD_NETWORK_NAME/);
    } finally {
      server.close();
    }
  });
}

test('smbclient with a wrong password is refused with STATUS_LOGON_FAILURE', { skip }, async () => {
  const observed: Observed = { results: [], authErrors: [], treeConnectSignatureOk: [] };
  const { server, port } = await listen(Dialect.SMB311, observed);
  try {
    const output = await runSmbclient(port, 'SMB3_11', 'alice%wonder-land 9');
    assert.equal(observed.results.length, 0);
    assert.equal(observed.authErrors.length, 1);
    assert.match(output, /NT_STATUS_LOGON_FAILURE/);
  } finally {
    server.close();
  }
});

test('smbclient anonymous login (-U%) gets an anonymous session without a key', { skip }, async () => {
  const observed: Observed = { results: [], authErrors: [], treeConnectSignatureOk: [] };
  const { server, port } = await listen(Dialect.SMB311, observed);
  try {
    const output = await runSmbclient(port, 'SMB3_11', '%', 'if_required');
    assert.deepEqual(observed.authErrors, [], output);
    assert.equal(observed.results.length, 1, output);
    assert.equal(observed.results[0].anonymous, true);
    assert.equal(observed.results[0].sessionKey.length, 0);
    assert.match(output, /NT_STATUS_BAD_NETWORK_NAME/);
  } finally {
    server.close();
  }
});

test('smbclient as an unknown user is mapped to guest when the server says so', { skip }, async () => {
  const observed: Observed = { results: [], authErrors: [], treeConnectSignatureOk: [] };
  const { server, port } = await listen(Dialect.SMB311, observed, true);
  try {
    const output = await runSmbclient(port, 'SMB3_11', 'stranger%whatever', 'if_required');
    assert.deepEqual(observed.authErrors, [], output);
    assert.equal(observed.results.length, 1, output);
    assert.equal(observed.results[0].guest, true);
    assert.match(output, /NT_STATUS_BAD_NETWORK_NAME/);
  } finally {
    server.close();
  }
});
