import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { smb2Header, negotiateBody } from '../support/server-pdus.js';
import { le32 } from '../support/bytes.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { Command, Dialect } from '../../smb2/constants.js';
import { encodeCreateRequest, type FileId } from '../../smb2/commands/create.js';
import { encodeReadRequest } from '../../smb2/commands/read.js';
import { encodeWriteRequestHeader } from '../../smb2/commands/write.js';
import { encodeCloseRequest } from '../../smb2/commands/close.js';
import { encodeQueryDirectoryRequest } from '../../smb2/commands/query-directory.js';
import { encodeQueryInfoRequest } from '../../smb2/commands/query-info.js';
import { encodeSetInfoRequest } from '../../smb2/commands/set-info.js';
import { encodeIoctlRequest } from '../../smb2/commands/ioctl.js';
import { encodeLockRequest } from '../../smb2/commands/lock.js';
import { encodeTreeConnectRequest } from '../../smb2/commands/tree-connect.js';
import { encodeSessionSetupRequest } from '../../smb2/commands/session-setup.js';
import { encodeFlushRequest } from '../../smb2/commands/flush.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
  await writeFile(path.join(f.dir, 'target.txt'), 'fuzz target');
});
after(async () => {
  await f.close();
});

/** Deterministic xorshift PRNG so a failure reproduces. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

function mutate(body: Buffer, rand: () => number): Buffer {
  const b = Buffer.from(body);
  switch (Math.floor(rand() * 4)) {
    case 0:
      return b.subarray(0, Math.floor(rand() * b.length)); // truncated
    case 1:
      for (let i = 0; i < 1 + rand() * 6; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      return b;
    case 2: {
      const at = Math.floor(rand() * Math.max(1, b.length - 4)) & ~1;
      if (b.length >= at + 4) b.writeUInt32LE([0xffffffff, 0x7fffffff, 0xffff, 0x10000][Math.floor(rand() * 4)], at);
      return b;
    }
    default:
      return Buffer.concat([b, Buffer.alloc(Math.floor(rand() * 64), Math.floor(rand() * 256))]);
  }
}

function bodies(fileId: FileId, dirId: FileId): Array<[number, Buffer]> {
  const name = 'target.txt';
  return [
    [Command.CREATE, encodeCreateRequest({ requestedOplockLevel: 0, impersonationLevel: 2, desiredAccess: 0x12019f, fileAttributes: 0, shareAccess: 7, createDisposition: 1, createOptions: 0, name, contexts: [{ name: 'MxAc', data: Buffer.alloc(0) }, { name: 'QFid', data: Buffer.alloc(0) }] })],
    [Command.READ, encodeReadRequest({ flags: 0, length: 1024, offset: 0, fileId, minimumCount: 0, channel: 0, remainingBytes: 0, channelInfo: [] })],
    [Command.WRITE, Buffer.concat([encodeWriteRequestHeader({ offset: 100, fileId, channel: 0, remainingBytes: 0, flags: 0, channelInfo: [], length: 8 }), Buffer.from('fuzzdata')])],
    [Command.QUERY_DIRECTORY, encodeQueryDirectoryRequest({ infoClass: 0x25, flags: 1, fileIndex: 0, fileId: dirId, pattern: '*', outputBufferLength: 4096 })],
    [Command.QUERY_INFO, encodeQueryInfoRequest({ infoType: 1, infoClass: 0x12, outputBufferLength: 4096, input: Buffer.alloc(0), additionalInformation: 0, flags: 0, fileId })],
    [Command.SET_INFO, encodeSetInfoRequest({ infoType: 1, infoClass: 0x04, buffer: Buffer.alloc(40), additionalInformation: 0, fileId })],
    [Command.IOCTL, encodeIoctlRequest({ ctlCode: 0x001401fc, fileId, input: Buffer.alloc(8), maxInputResponse: 0, maxOutputResponse: 4096, flags: 1 })],
    [Command.LOCK, encodeLockRequest({ lockSequence: 0, fileId, locks: [{ offset: 0n, length: 10n, flags: 0x12 }] })],
    [Command.FLUSH, encodeFlushRequest({ fileId })],
    [Command.CLOSE, encodeCloseRequest({ flags: 1, fileId: { persistent: 99n, volatile: 99n } })],
    [Command.TREE_CONNECT, encodeTreeConnectRequest({ flags: 0, path: '\\\\127.0.0.1\\share' })],
    [Command.SESSION_SETUP, encodeSessionSetupRequest({ flags: 0, securityMode: 1, capabilities: 0, previousSessionId: 0n, securityBuffer: Buffer.from('6082', 'hex') })],
  ];
}

async function freshSession(): Promise<{ c: Smb2Client; tree: Awaited<ReturnType<Smb2Client['treeConnect']>>; fileId: FileId; dirId: FileId }> {
  const { c, tree } = await treeClient(f, 'share', { dialects: [Dialect.SMB3_1_1] });
  const fileId = (await tree.create('target.txt', { desiredAccess: 0x12019f })).fileId;
  const dirId = (await tree.create('', { createOptions: 1 })).fileId;
  return { c, tree, fileId, dirId };
}

function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
}

test('mutated and truncated request bodies get an error response or a closed connection, never a crash', async () => {
  const rand = prng(0x5eed);
  let s = await freshSession();
  let answered = 0;
  let dropped = 0;
  for (let i = 0; i < 400; i++) {
    const all = bodies(s.fileId, s.dirId);
    const [command, body] = all[Math.floor(rand() * all.length)];
    const reply = s.c.request(command, mutate(body, rand), { treeId: s.tree.treeId, allowError: true });
    const r = await within(reply.then(() => 'answered' as const, () => 'dropped' as const), 3000);
    assert.notEqual(r, 'timeout', `no answer to mutated ${command} #${i}`);
    if (r === 'answered') answered++;
    else {
      dropped++;
      s.c.close();
      s = await freshSession();
    }
  }
  assert.ok(answered > 100, `only ${answered} answered`);
  s.c.close();
  // The server still serves a normal client.
  const check = await freshSession();
  // (mutated WRITEs may have made the file huge and sparse: read only its start)
  assert.equal((await check.tree.read(check.fileId, 0, 4)).toString(), 'fuzz');
  check.c.close();
  console.log(`${answered} answered, ${dropped} dropped connections`);
});

function rawExchange(bytes: Buffer[], waitMs = 300): Promise<{ closed: boolean; received: number }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: f.port });
    let received = 0;
    let closed = false;
    s.on('data', (d) => (received += d.length));
    s.on('error', () => (closed = true));
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closed, received });
    });
    s.on('end', () => (closed = true));
    s.on('connect', () => {
      for (const b of bytes) s.write(b);
    });
  });
}

function frame(msg: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(msg.length);
  return Buffer.concat([h, msg]);
}

test('hostile framing and headers close the connection; other connections keep working', async () => {
  const survivor = await freshSession();
  const negotiate = Buffer.concat([smb2Header({ command: Command.NEGOTIATE, messageId: 0 }), negotiateBody()]);
  const cases: Array<[string, Buffer[]]> = [
    ['non-zero first frame byte', [Buffer.from([0x85, 0, 0, 4, 1, 2, 3, 4])]],
    ['frame larger than maxMessageBytes', [Buffer.from([0, 0xff, 0xff, 0xff])]],
    ['not SMB at all', [frame(Buffer.from('GET / HTTP/1.1\r\n\r\n'))]],
    ['truncated SMB2 header', [frame(negotiate.subarray(0, 40))]],
    ['request before NEGOTIATE', [frame(Buffer.concat([smb2Header({ command: Command.CREATE, messageId: 0 }), Buffer.alloc(57)]))]],
    ['message id outside the credit window', [frame(Buffer.concat([smb2Header({ command: Command.NEGOTIATE, messageId: 5 }), negotiateBody()]))]],
    ['NextCommand past the end', [frame(Buffer.concat([smb2Header({ command: Command.NEGOTIATE, messageId: 0, nextCommand: 0x1000 }), negotiateBody()]))]],
    ['NextCommand not 8-aligned', [frame(Buffer.concat([smb2Header({ command: Command.NEGOTIATE, messageId: 0, nextCommand: 66 }), negotiateBody()]))]],
    ['second NEGOTIATE', [frame(negotiate), frame(Buffer.concat([smb2Header({ command: Command.NEGOTIATE, messageId: 1 }), negotiateBody()]))]],
    ['NEGOTIATE with a huge dialect count', [frame(Buffer.concat([negotiate.subarray(0, 66), le32(0xffff), negotiate.subarray(70)]))]],
  ];
  for (const [what, bytes] of cases) {
    const r = await rawExchange(bytes);
    assert.ok(r.closed || r.received > 0, `${what}: neither answered nor closed`);
  }
  for (const [what, bytes] of cases.slice(0, 9)) {
    const r = await rawExchange(bytes);
    if (what === 'second NEGOTIATE') assert.ok(r.closed, what);
    else if (!what.startsWith('NEGOTIATE')) assert.ok(r.closed, `${what}: connection should be closed`);
  }
  assert.equal((await survivor.tree.read(survivor.fileId, 0, 4)).toString(), 'fuzz');
  survivor.c.close();
});
