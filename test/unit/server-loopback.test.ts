import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile, symlink, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, type ServerFixture } from '../support/server-fixture.js';
import { DEFAULT_LIMITS } from '../../server/options.js';
import { loggedInClient } from '../support/logged-in-client.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { SmbError } from '../../client/connection.js';
import { Access, Command, CreateDisposition, CreateOption, Dialect, SessionFlag, InfoType, RELATED_FILE_ID } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { encodeCreateRequest, decodeCreateResponse } from '../../smb2/commands/create.js';
import { encodeReadRequest, decodeReadResponse } from '../../smb2/commands/read.js';
import { encodeCloseRequest } from '../../smb2/commands/close.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
});
after(async () => {
  await f.close();
});

const login = (dialects: number[], signing = false): Promise<Smb2Client> => loggedInClient(f, { dialects, signing });

async function rejects(p: Promise<unknown>, status: number): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof SmbError && e.status === status);
}

for (const [name, dialect] of Object.entries({ '2.0.2': Dialect.SMB2_0_2, '2.1': Dialect.SMB2_1, '3.0': Dialect.SMB3_0, '3.0.2': Dialect.SMB3_0_2, '3.1.1': Dialect.SMB3_1_1 })) {
  for (const signing of [false, true]) {
    test(`dialect ${name}${signing ? ' signed' : ''}: write, read back, list, rename, delete`, async () => {
      const c = await login([dialect], signing);
      assert.equal(c.dialect, dialect);
      const tree = await c.treeConnect('share');
      const dir = `d-${name}-${signing}`;
      const data = randomBytes(dialect === Dialect.SMB2_0_2 ? 200_000 : 3 * 1024 * 1024 + 17);
      await tree.mkdir(dir);
      await tree.writeFile(`${dir}\\file.bin`, data);
      assert.deepEqual(await readFile(path.join(f.dir, dir, 'file.bin')), data);
      assert.deepEqual(await tree.readFile(`${dir}/file.bin`), data);
      const names = (await tree.list(dir)).map((e) => e.name).sort();
      assert.deepEqual(names, ['.', '..', 'file.bin']);
      await tree.rename(`${dir}\\file.bin`, `${dir}\\moved.bin`);
      assert.equal(Number((await tree.stat(`${dir}\\moved.bin`)).endOfFile), data.length);
      await rejects(tree.rmdir(dir), Status.DIRECTORY_NOT_EMPTY);
      await tree.unlink(`${dir}\\moved.bin`);
      await tree.rmdir(dir);
      await rejects(tree.stat(dir), Status.OBJECT_NAME_NOT_FOUND);
      const echo = await c.request(Command.ECHO, Buffer.from([4, 0, 0, 0]));
      assert.equal((echo.header.flags & 0x8) !== 0, signing, 'responses are signed exactly when the session signs');
      await c.logoff();
      c.close();
    });
  }
}

test('SMB1 negotiate upgrade: "SMB 2.???" gets the 0x02FF wildcard, then SMB2 NEGOTIATE follows', async () => {
  const { TcpClientTransport } = await import('../../client/transport.js');
  const { smb1NegotiateMessage } = await import('../support/server-pdus.js');
  const t = await TcpClientTransport.connect('127.0.0.1', f.port);
  const reply = new Promise<Buffer>((resolve) => t.onMessage(resolve));
  await t.send([smb1NegotiateMessage(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'])]);
  const m = await reply;
  assert.equal(m.readUInt32LE(0), 0x424d53fe);
  assert.equal(m.readUInt16LE(64 + 4), Dialect.SMB2_WILDCARD);
  const { smb2Header, negotiateBody } = await import('../support/server-pdus.js');
  const second = new Promise<Buffer>((resolve) => t.onMessage(resolve));
  await t.send([smb2Header({ command: Command.NEGOTIATE, messageId: 1 }), negotiateBody()]);
  const n = await second;
  assert.equal(n.readUInt32LE(8), Status.SUCCESS);
  assert.equal(n.readUInt16LE(64 + 4), Dialect.SMB3_0_2);
  t.close();
});

test('anonymous sessions reach guest-ok shares only', async () => {
  const c = await loggedInClient(f, { credentials: { anonymous: true } });
  assert.equal(c.sessionFlags & SessionFlag.IS_NULL, SessionFlag.IS_NULL);
  const tree = await c.treeConnect('share');
  await tree.list();
  await rejects(c.treeConnect('private'), Status.ACCESS_DENIED);
  await rejects(c.treeConnect('nosuch'), Status.BAD_NETWORK_NAME);
  c.close();
});

test('a wrong password is refused', async () => {
  const c = await Smb2Client.connect({ port: f.port });
  await rejects(c.login({ user: TEST_USER, password: 'not it' }), Status.LOGON_FAILURE);
  c.close();
});

test('a read-only share refuses every modification', async () => {
  await writeFile(path.join(f.roDir, 'ro.txt'), 'keep');
  const c = await login([Dialect.SMB3_1_1]);
  const tree = await c.treeConnect('ro');
  assert.equal((await tree.readFile('ro.txt')).toString(), 'keep');
  await rejects(tree.writeFile('new.txt', Buffer.from('x')), Status.ACCESS_DENIED);
  await rejects(tree.mkdir('d'), Status.ACCESS_DENIED);
  await rejects(tree.unlink('ro.txt'), Status.ACCESS_DENIED);
  await rejects(tree.create('ro.txt', { desiredAccess: Access.FILE_WRITE_DATA }), Status.ACCESS_DENIED);
  const h = await tree.create('ro.txt', { desiredAccess: Access.MAXIMUM_ALLOWED });
  await rejects(tree.write(h.fileId, 0, Buffer.from('no')), Status.ACCESS_DENIED);
  await tree.close(h.fileId);
  assert.equal(await readFile(path.join(f.roDir, 'ro.txt'), 'utf8'), 'keep');
  c.close();
});

test('paths cannot leave the share: .., absolute paths and symlinks', async () => {
  const outside = path.join(f.roDir, 'secret.txt');
  await writeFile(outside, 'secret');
  await symlink(outside, path.join(f.dir, 'link-out'));
  await symlink(f.roDir, path.join(f.dir, 'dirlink-out'));
  await symlink(path.join(f.roDir, 'missing'), path.join(f.dir, 'dangling-out'));
  await mkdir(path.join(f.dir, 'inner'));
  await writeFile(path.join(f.dir, 'inner', 'ok.txt'), 'ok');
  await symlink('inner/ok.txt', path.join(f.dir, 'link-in'));
  const c = await login([Dialect.SMB3_1_1]);
  const tree = await c.treeConnect('share');
  await rejects(tree.readFile('..\\secret.txt'), Status.OBJECT_PATH_SYNTAX_BAD);
  await rejects(tree.readFile('inner\\..\\..\\x'), Status.OBJECT_PATH_SYNTAX_BAD);
  await rejects(tree.readFile('\\etc\\passwd'), Status.INVALID_PARAMETER);
  await rejects(tree.readFile('link-out'), Status.ACCESS_DENIED);
  await rejects(tree.readFile('dirlink-out\\secret.txt'), Status.ACCESS_DENIED);
  await rejects(tree.writeFile('dangling-out', Buffer.from('x')), Status.ACCESS_DENIED);
  assert.equal((await tree.readFile('link-in')).toString(), 'ok');
  await assert.rejects(readFile(path.join(f.roDir, 'missing')));
  c.close();
});

test('related compound CREATE + READ + CLOSE uses the chained FileId', async () => {
  await writeFile(path.join(f.dir, 'compound.txt'), 'compound data');
  const c = await login([Dialect.SMB3_1_1]);
  const tree = await c.treeConnect('share');
  const related = { persistent: RELATED_FILE_ID, volatile: RELATED_FILE_ID };
  const opts = { sessionId: c.sessionId, treeId: tree.treeId };
  const [cr, rd, cl] = await c.conn.compound(
    [
      { command: Command.CREATE, body: encodeCreateRequest({ requestedOplockLevel: 0, impersonationLevel: 2, desiredAccess: Access.FILE_READ_DATA, fileAttributes: 0, shareAccess: 7, createDisposition: CreateDisposition.OPEN, createOptions: 0, name: 'compound.txt', contexts: [] }), opts },
      { command: Command.READ, body: encodeReadRequest({ flags: 0, length: 100, offset: 0, fileId: related, minimumCount: 0, channel: 0, remainingBytes: 0, channelInfo: [] }), opts },
      { command: Command.CLOSE, body: encodeCloseRequest({ flags: 0, fileId: related }), opts },
    ],
    true,
  );
  assert.equal(cr.header.status, Status.SUCCESS);
  decodeCreateResponse(cr.reader);
  assert.equal(rd.header.status, Status.SUCCESS);
  assert.equal(decodeReadResponse(rd.reader).data.toString(), 'compound data');
  assert.equal(cl.header.status, Status.SUCCESS);
  const [cr2, rd2] = await c.conn.compound(
    [
      { command: Command.CREATE, body: encodeCreateRequest({ requestedOplockLevel: 0, impersonationLevel: 2, desiredAccess: Access.FILE_READ_DATA, fileAttributes: 0, shareAccess: 7, createDisposition: CreateDisposition.OPEN, createOptions: 0, name: 'absent.txt', contexts: [] }), opts },
      { command: Command.READ, body: encodeReadRequest({ flags: 0, length: 100, offset: 0, fileId: related, minimumCount: 0, channel: 0, remainingBytes: 0, channelInfo: [] }), opts },
    ],
    true,
  );
  assert.equal(cr2.header.status, Status.OBJECT_NAME_NOT_FOUND);
  assert.equal(rd2.header.status, Status.OBJECT_NAME_NOT_FOUND);
  c.close();
});

test('a READ whose CreditCharge does not cover its length is refused', async () => {
  await writeFile(path.join(f.dir, 'charge.bin'), randomBytes(300_000));
  const c = await login([Dialect.SMB3_0]);
  const tree = await c.treeConnect('share');
  const h = await tree.create('charge.bin');
  const body = encodeReadRequest({ flags: 0, length: 200_000, offset: 0, fileId: h.fileId, minimumCount: 0, channel: 0, remainingBytes: 0, channelInfo: [] });
  await rejects(c.request(Command.READ, body, { treeId: tree.treeId, creditCharge: 1 }), Status.INVALID_PARAMETER);
  const ok = await c.request(Command.READ, body, { treeId: tree.treeId, creditCharge: 4 });
  assert.equal(decodeReadResponse(ok.reader).data.length, 200_000);
  await tree.close(h.fileId);
  c.close();
});

test('credits: grants follow CreditRequest and stay under maxCredits', async () => {
  const c = await login([Dialect.SMB3_1_1]);
  assert.ok(c.conn.availableCredits > 1);
  assert.ok(c.conn.availableCredits <= f.options.limits.maxCredits);
  c.close();
});

test('queries: file info, filesystem info, security descriptor, delete-on-close, echo and status()', async () => {
  const c = await login([Dialect.SMB3_1_1]);
  const tree = await c.treeConnect('share');
  await c.echo();
  const h = await tree.create('doc.txt', { desiredAccess: (Access.GENERIC_ALL) >>> 0, disposition: CreateDisposition.CREATE, createOptions: CreateOption.DELETE_ON_CLOSE });
  await tree.write(h.fileId, 0, Buffer.from('hello'));
  const basic = await tree.queryInfo(h.fileId, InfoType.FILE, 0x04);
  assert.equal(basic.length, 40);
  const size = await tree.queryInfo(h.fileId, InfoType.FILESYSTEM, 0x03);
  assert.equal(size.length, 24);
  const sd = await tree.queryInfo(h.fileId, InfoType.SECURITY, 0, 4096, 0x7);
  assert.equal(sd[0], 1); // SECURITY_DESCRIPTOR revision
  const st = f.server.status();
  assert.ok(st.openFiles >= 1);
  assert.ok(st.connections.some((x) => x.dialect === '3.1.1'));
  await tree.close(h.fileId);
  await assert.rejects(readFile(path.join(f.dir, 'doc.txt')));
  c.close();
});

test('open handle limit per connection is enforced', async () => {
  const small = await startServer({ limits: { ...DEFAULT_LIMITS, maxSessionsPerConnection: 1, maxOpenFilesPerConnection: 2, maxMessageBytes: 1 << 20, maxCredits: 64 } });
  try {
    const c = await loggedInClient(small, { credentials: { anonymous: true } });
    const tree = await c.treeConnect('share');
    await tree.create('', { createOptions: CreateOption.DIRECTORY_FILE });
    await tree.create('', { createOptions: CreateOption.DIRECTORY_FILE });
    await rejects(tree.create('', { createOptions: CreateOption.DIRECTORY_FILE }), Status.TOO_MANY_OPENED_FILES);
    assert.ok(c.conn.availableCredits <= 64);
    c.close();
  } finally {
    await small.close();
  }
});

test('unrelated compound: each request stands alone; CANCEL gets no answer', async () => {
  const c = await login([Dialect.SMB3_1_1]);
  const tree = await c.treeConnect('share');
  await writeFile(path.join(f.dir, 'u1.txt'), 'one');
  const opts = { sessionId: c.sessionId, treeId: tree.treeId };
  const create = (name: string) => encodeCreateRequest({ requestedOplockLevel: 0, impersonationLevel: 2, desiredAccess: Access.FILE_READ_DATA, fileAttributes: 0, shareAccess: 7, createDisposition: CreateDisposition.OPEN, createOptions: 0, name, contexts: [] });
  const [a, b, e] = await c.conn.compound(
    [
      { command: Command.CREATE, body: create('u1.txt'), opts },
      { command: Command.CREATE, body: create('missing.txt'), opts },
      { command: Command.ECHO, body: Buffer.from([4, 0, 0, 0]), opts },
    ],
    false,
  );
  assert.equal(a.header.status, Status.SUCCESS);
  assert.equal(b.header.status, Status.OBJECT_NAME_NOT_FOUND);
  assert.equal(e.header.status, Status.SUCCESS);
  await tree.close(decodeCreateResponse(a.reader).fileId);
  const { smb2Header } = await import('../support/server-pdus.js');
  await c.conn.transport.send([smb2Header({ command: Command.CANCEL, messageId: 5, creditCharge: 0 }), Buffer.from([4, 0, 0, 0])]);
  await c.echo();
  c.close();
});
