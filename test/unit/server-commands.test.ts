import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { DEFAULT_LIMITS } from '../../server/options.js';
import { loggedInClient } from '../support/logged-in-client.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { SmbError } from '../../client/connection.js';
import { parseDirectoryInformation } from '../../client/tree.js';
import { Access, Command, Dialect, QueryDirectoryFlag, SecurityMode, LockFlag, Fsctl, IoctlFlag, Capability } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { encodeIoctlRequest, decodeIoctlResponse } from '../../smb2/commands/ioctl.js';
import { encodeLockRequest } from '../../smb2/commands/lock.js';
import { cat, le16, le32 } from '../support/bytes.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
  await mkdir(path.join(f.dir, 'many'));
  for (let i = 0; i < 40; i++) await writeFile(path.join(f.dir, 'many', `file-${String(i).padStart(2, '0')}.${i % 2 ? 'txt' : 'bin'}`), 'x');
});
after(async () => {
  await f.close();
});

const login = (dialects: number[] = [Dialect.SMB3_1_1], signing = false): Promise<Smb2Client> => loggedInClient(f, { dialects, signing });

const isStatus = (status: number) => (e: unknown) => e instanceof SmbError && e.status === status;

test('QUERY_DIRECTORY: patterns, single entry, small buffers and restart', async () => {
  const c = await login();
  const tree = await c.treeConnect('share');
  const h = await tree.create('many', { desiredAccess: Access.FILE_READ_DATA, createOptions: 1 });
  const txt = parseDirectoryInformation(await tree.queryDirectory(h.fileId, '*.txt', 1)).map((e) => e.name);
  assert.equal(txt.length, 20);
  assert.ok(txt.every((n) => n.endsWith('.txt')));
  await assert.rejects(tree.queryDirectory(h.fileId, '*.txt', 1), isStatus(Status.NO_MORE_FILES));
  const one = parseDirectoryInformation(await tree.queryDirectory(h.fileId, 'file-0?.bin', 1, QueryDirectoryFlag.RESTART_SCANS | QueryDirectoryFlag.RETURN_SINGLE_ENTRY));
  assert.equal(one.length, 1);
  // Host (getdents) order, as Samba: the single entry is any match, the rest follow on the same cursor.
  const rest = parseDirectoryInformation(await tree.queryDirectory(h.fileId, '', 1));
  assert.deepEqual([...one, ...rest].map((e) => e.name).sort(), ['file-00.bin', 'file-02.bin', 'file-04.bin', 'file-06.bin', 'file-08.bin']);
  const small = parseDirectoryInformation(await tree.queryDirectory(h.fileId, '*', 1, QueryDirectoryFlag.RESTART_SCANS, 300));
  assert.ok(small.length >= 1 && small.length < 5, `${small.length} entries in 300 bytes`);
  await assert.rejects(tree.queryDirectory(h.fileId, 'nothing-matches', 1, QueryDirectoryFlag.RESTART_SCANS), isStatus(Status.NO_SUCH_FILE));
  await assert.rejects(tree.queryDirectory(h.fileId, '*', 0x7f, QueryDirectoryFlag.RESTART_SCANS), isStatus(Status.INVALID_INFO_CLASS));
  const all = await tree.list('many');
  assert.equal(all.length, 42);
  await tree.close(h.fileId);
  c.close();
});

test('LOCK: conflicting ranges between opens, unlock, and release on close', async () => {
  await writeFile(path.join(f.dir, 'locked.bin'), Buffer.alloc(100));
  const c = await login();
  const tree = await c.treeConnect('share');
  const a = await tree.create('locked.bin', { desiredAccess: Access.FILE_READ_DATA | Access.FILE_WRITE_DATA });
  const b = await tree.create('locked.bin', { desiredAccess: Access.FILE_READ_DATA });
  const lock = (fileId: typeof a.fileId, offset: bigint, flags: number) =>
    c.request(Command.LOCK, encodeLockRequest({ lockSequence: 0, fileId, locks: [{ offset, length: 10n, flags }] }), { treeId: tree.treeId });
  await lock(a.fileId, 0n, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY);
  await assert.rejects(lock(b.fileId, 5n, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY), isStatus(Status.LOCK_NOT_GRANTED));
  await lock(b.fileId, 10n, LockFlag.SHARED | LockFlag.FAIL_IMMEDIATELY);
  await assert.rejects(lock(b.fileId, 50n, LockFlag.UNLOCK), isStatus(Status.RANGE_NOT_LOCKED));
  await lock(a.fileId, 0n, LockFlag.UNLOCK);
  await lock(b.fileId, 0n, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY);
  await tree.close(b.fileId);
  await lock(a.fileId, 0n, LockFlag.EXCLUSIVE | LockFlag.FAIL_IMMEDIATELY);
  await tree.close(a.fileId);
  c.close();
});

test('IOCTL: network interfaces with RDMA_CAPABLE, VALIDATE_NEGOTIATE_INFO, others not supported', async () => {
  const c = await login([Dialect.SMB3_0], true);
  const ipc = await c.treeConnect('IPC$');
  const noFile = { persistent: 0xffffffffffffffffn, volatile: 0xffffffffffffffffn };
  const ioctl = (ctlCode: number, input: Buffer) =>
    c.request(Command.IOCTL, encodeIoctlRequest({ ctlCode, fileId: noFile, input, maxInputResponse: 0, maxOutputResponse: 65536, flags: IoctlFlag.IS_FSCTL }), { treeId: ipc.treeId });
  const ifs = decodeIoctlResponse((await ioctl(Fsctl.QUERY_NETWORK_INTERFACE_INFO, Buffer.alloc(0))).reader).output;
  assert.equal(ifs.length, 152);
  assert.equal(ifs.readUInt32LE(8), 0x2, 'RDMA_CAPABLE');
  assert.deepEqual([...ifs.subarray(28, 32)], [127, 0, 0, 1]);
  const n = c.negotiated!;
  const valid = cat(le32(Capability.LARGE_MTU), c.clientGuid, le16(SecurityMode.SIGNING_ENABLED), le16(1), le16(Dialect.SMB3_0));
  const r = await ioctl(Fsctl.VALIDATE_NEGOTIATE_INFO, valid);
  assert.ok(r.header.flags & 0x8, 'VALIDATE_NEGOTIATE_INFO answer is signed');
  const out = decodeIoctlResponse(r.reader).output;
  assert.equal(out.readUInt16LE(22), Dialect.SMB3_0);
  assert.deepEqual(out.subarray(4, 20), n.serverGuid);
  await assert.rejects(ioctl(0x00090078, Buffer.alloc(0)), isStatus(Status.NOT_SUPPORTED));
  const tampered = cat(le32(Capability.LARGE_MTU), c.clientGuid, le16(SecurityMode.SIGNING_ENABLED), le16(2), le16(Dialect.SMB2_1), le16(Dialect.SMB3_0));
  await assert.rejects(ioctl(Fsctl.VALIDATE_NEGOTIATE_INFO, tampered));
  c.close();
});

test('signing "mandatory": NEGOTIATE says SIGNING_REQUIRED and unsigned requests are refused', async () => {
  const strict = await startServer({ signing: 'mandatory' });
  try {
    const c = await Smb2Client.connect({ port: strict.port, dialects: [Dialect.SMB3_1_1] });
    assert.equal(c.negotiated!.securityMode & SecurityMode.SIGNING_REQUIRED, SecurityMode.SIGNING_REQUIRED);
    await c.login({ user: TEST_USER, password: TEST_PASSWORD }, { signing: false });
    await assert.rejects(c.treeConnect('share'), isStatus(Status.ACCESS_DENIED));
    c.close();
    const s = await Smb2Client.connect({ port: strict.port, dialects: [Dialect.SMB3_1_1] });
    await s.login({ user: TEST_USER, password: TEST_PASSWORD }, { signing: true });
    await (await s.treeConnect('share')).list();
    s.close();
  } finally {
    await strict.close();
  }
  const relaxed = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
  assert.equal(relaxed.negotiated!.securityMode & SecurityMode.SIGNING_REQUIRED, 0);
  relaxed.close();
});

test('sessions per connection are limited', async () => {
  const small = await startServer({ limits: { ...DEFAULT_LIMITS, maxSessionsPerConnection: 1, maxOpenFilesPerConnection: 16, maxMessageBytes: 1 << 20, maxCredits: 128 } });
  try {
    const c = await loggedInClient(small, { credentials: { anonymous: true } });
    // a second SESSION_SETUP with SessionId 0 asks for a second session on this connection
    await assert.rejects(c.login({ anonymous: true }), isStatus(Status.REQUEST_NOT_ACCEPTED));
    c.close();
  } finally {
    await small.close();
  }
});

test('logoff and tree disconnect end access', async () => {
  const c = await login();
  const tree = await c.treeConnect('share');
  await tree.disconnect();
  await assert.rejects(tree.list(), isStatus(Status.NETWORK_NAME_DELETED));
  const t2 = await c.treeConnect('share');
  await c.logoff();
  await assert.rejects(t2.list(), isStatus(Status.USER_SESSION_DELETED));
  c.close();
});

test('status() and reload(): new shares apply to new tree connects, connections stay up', async () => {
  const c = await login();
  const before = f.server.status();
  assert.ok(before.connections.length >= 1);
  assert.ok(before.shares.some((s) => s.name === 'share'));
  await assert.rejects(c.treeConnect('added'), isStatus(Status.BAD_NETWORK_NAME));
  const options = { ...f.options, shares: [...f.options.shares, { ...f.options.shares[0], name: 'added' }] };
  f.server.reload(options);
  const added = await c.treeConnect('added');
  assert.ok((await added.list()).length >= 2);
  f.server.reload(f.options);
  c.close();
});

test('CREATE dispositions: OVERWRITE_IF truncates through the file I/O provider, CREATE collides, OPEN needs the file', async () => {
  const c = await login();
  const tree = await c.treeConnect('share');
  await tree.writeFile('disp.txt', Buffer.alloc(100, 0x61));
  await tree.writeFile('disp.txt', Buffer.from('short'));
  assert.equal((await tree.readFile('disp.txt')).toString(), 'short');
  await assert.rejects(tree.create('disp.txt', { disposition: 2 }), isStatus(Status.OBJECT_NAME_COLLISION));
  await assert.rejects(tree.create('absent.txt', { disposition: 1 }), isStatus(Status.OBJECT_NAME_NOT_FOUND));
  await assert.rejects(tree.create('absent-dir\\x.txt', { disposition: 2 }), isStatus(Status.OBJECT_PATH_NOT_FOUND));
  await assert.rejects(tree.create('disp.txt', { createOptions: 1 }), isStatus(Status.NOT_A_DIRECTORY));
  await assert.rejects(tree.create('', { createOptions: 0x40 }), isStatus(Status.FILE_IS_A_DIRECTORY));
  const sup = await tree.create('disp.txt', { desiredAccess: Access.GENERIC_WRITE >>> 0, disposition: 0 });
  assert.equal(sup.createAction, 0);
  assert.equal(sup.endOfFile, 0n);
  await tree.close(sup.fileId);
  c.close();
});

test('re-authentication of a signed session keeps it usable', async () => {
  const c = await login([Dialect.SMB3_1_1], true);
  const tree = await c.treeConnect('share');
  const { ClientAuthExchange } = await import('../../auth/ntlm-client.js');
  const { encodeSessionSetupRequest } = await import('../../smb2/commands/session-setup.js');
  const { decodeSessionSetupResponse } = await import('../../smb2/commands/session-setup.js');
  const auth = new ClientAuthExchange({ user: TEST_USER, password: TEST_PASSWORD });
  let token = auth.first();
  for (;;) {
    const r = await c.request(Command.SESSION_SETUP, encodeSessionSetupRequest({ flags: 0, securityMode: 2, capabilities: 0, previousSessionId: 0n, securityBuffer: token }), { allowError: true });
    const res = decodeSessionSetupResponse(r.reader);
    if (r.header.status === Status.MORE_PROCESSING_REQUIRED) {
      token = auth.next(res.securityBuffer);
      continue;
    }
    assert.equal(r.header.status, Status.SUCCESS);
    break;
  }
  assert.ok((await tree.list()).length >= 2);
  c.close();
});

test('share modes: an open that denies sharing blocks conflicting opens until it closes', async () => {
  await writeFile(path.join(f.dir, 'shared.txt'), 'x');
  const c = await login();
  const tree = await c.treeConnect('share');
  const exclusive = await tree.create('shared.txt', { desiredAccess: Access.FILE_READ_DATA, shareAccess: 0 });
  await assert.rejects(tree.create('shared.txt', { desiredAccess: Access.FILE_READ_DATA }), isStatus(Status.SHARING_VIOLATION));
  const attrsOnly = await tree.create('shared.txt', { desiredAccess: Access.FILE_READ_ATTRIBUTES });
  await tree.close(attrsOnly.fileId);
  await tree.close(exclusive.fileId);
  const reader = await tree.create('shared.txt', { desiredAccess: Access.FILE_READ_DATA, shareAccess: 1 });
  await assert.rejects(tree.create('shared.txt', { desiredAccess: Access.FILE_WRITE_DATA }), isStatus(Status.SHARING_VIOLATION));
  const second = await tree.create('shared.txt', { desiredAccess: Access.FILE_READ_DATA, shareAccess: 7 });
  await tree.close(second.fileId);
  await tree.close(reader.fileId);
  c.close();
});

test('rename: other opens follow the file; a directory with open files inside cannot be renamed', async () => {
  const c = await login();
  const tree = await c.treeConnect('share');
  await tree.mkdir('rdir');
  await tree.writeFile('rdir\\inner.txt', Buffer.from('inner'));
  const inner = await tree.create('rdir\\inner.txt', { desiredAccess: Access.FILE_READ_DATA });
  await assert.rejects(tree.rename('rdir', 'rdir2'), isStatus(Status.ACCESS_DENIED));
  const other = await tree.create('rdir\\inner.txt', { desiredAccess: Access.FILE_READ_ATTRIBUTES });
  await tree.rename('rdir\\inner.txt', 'rdir\\moved.txt');
  const closed = await tree.close(other.fileId, true);
  assert.equal(closed.endOfFile, 5n, 'POSTQUERY_ATTRIB finds the file under its new name');
  assert.equal((await tree.read(inner.fileId, 0, 5)).toString(), 'inner');
  await tree.close(inner.fileId);
  await tree.rename('rdir', 'rdir2');
  assert.equal((await tree.readFile('rdir2\\moved.txt')).toString(), 'inner');
  c.close();
});
