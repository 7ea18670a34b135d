import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { SmbError } from '../../client/connection.js';
import { Access, Command, Dialect, Fsctl, InfoType, IoctlFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';
import { encodeIoctlRequest, decodeIoctlResponse } from '../../smb2/commands/ioctl.js';
import { NDR20, REF, SRVSVC_V3, bindPdu, contextElement, faultPdu, ndrString, requestPdu } from '../support/pipes-rpc-bytes.js';
import { cat, le32 } from '../support/bytes.js';
import type { FileId } from '../../smb2/commands/create.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
  f.options.shares.push({ ...f.options.shares[0]!, name: 'secret', browseable: false, comment: 'not listed' });
});
after(async () => {
  await f.close();
});

async function ipc() {
  const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD }, { signing: false });
  return { c, tree: await c.treeConnect('IPC$') };
}

const isStatus = (status: number) => (e: unknown) => e instanceof SmbError && e.status === status;
const rw = Access.FILE_READ_DATA | Access.FILE_WRITE_DATA;
const bind = bindPdu(1, 4280, [contextElement(0, SRVSVC_V3, [NDR20])]);
const enumAll = requestPdu(2, 0, 15, cat(REF(0), ndrString('\\\\x'), le32(1), le32(1), REF(1), le32(0), le32(0), le32(0xffffffff), le32(0)));

/** Share names in a NetrShareEnum level 1 RESPONSE stub (strings follow the scalar array). */
function namesIn(response: Buffer): string[] {
  const text = response.subarray(24).toString('utf16le');
  return ['share', 'ro', 'private', 'secret', 'IPC$'].filter((n) => text.includes(`${n}\0`));
}

test('CREATE on IPC$ opens srvsvc by any spelling; other pipe names are not found', async () => {
  const { c, tree } = await ipc();
  for (const name of ['srvsvc', '\\srvsvc', 'SRVSVC']) {
    const h = await tree.create(name, { desiredAccess: rw });
    assert.equal(h.fileAttributes, 0x80);
    await tree.close(h.fileId);
  }
  await assert.rejects(tree.create('lsarpc', { desiredAccess: rw }), isStatus(Status.OBJECT_NAME_NOT_FOUND));
  c.close();
});

test('WRITE a BIND then READ: BIND_ACK; a REQUEST lists browseable shares only; short READ overflows', async () => {
  const { c, tree } = await ipc();
  const h = await tree.create('srvsvc', { desiredAccess: rw });
  assert.equal(await tree.write(h.fileId, 0, bind), bind.length);
  const ack = await tree.read(h.fileId, 0, 4280);
  assert.equal(ack[2], 12, 'BIND_ACK');
  await tree.write(h.fileId, 0, enumAll);
  const head = await c.request(Command.READ, readBody(h.fileId, 24), { treeId: tree.treeId });
  assert.equal(head.header.status, Status.BUFFER_OVERFLOW);
  const rest = await tree.read(h.fileId, 0, 4280);
  const response = Buffer.concat([head.reader.buf.subarray(80, 104), rest]);
  assert.equal(response[2], 2, 'RESPONSE');
  assert.deepEqual(namesIn(response), ['share', 'ro', 'private', 'IPC$']);
  await assert.rejects(tree.read(h.fileId, 0, 4280), isStatus(0xc00000d9));
  await tree.close(h.fileId);
  c.close();
});

function readBody(fileId: FileId, length: number): Buffer {
  const body = Buffer.alloc(49);
  body.writeUInt16LE(49, 0);
  body.writeUInt32LE(length, 4);
  body.writeBigUInt64LE(fileId.persistent, 16);
  body.writeBigUInt64LE(fileId.volatile, 24);
  return body;
}

test('FSCTL_PIPE_TRANSCEIVE answers in one exchange; garbage gets a FAULT; QUERY_INFO describes the pipe', async () => {
  const { c, tree } = await ipc();
  const h = await tree.create('srvsvc', { desiredAccess: rw });
  const transceive = async (input: Buffer, fileId = h.fileId) =>
    decodeIoctlResponse((await c.request(Command.IOCTL, encodeIoctlRequest({
      ctlCode: Fsctl.PIPE_TRANSCEIVE, fileId, input, maxInputResponse: 0, maxOutputResponse: 4280, flags: IoctlFlag.IS_FSCTL,
    }), { treeId: tree.treeId })).reader).output;
  assert.equal((await transceive(bind))[2], 12);
  assert.deepEqual(namesIn(await transceive(enumAll)), ['share', 'ro', 'private', 'IPC$']);
  assert.deepEqual(await transceive(requestPdu(3, 0, 15, Buffer.from('junk'))), faultPdu(3, 0x6f7, 0x03));
  assert.deepEqual(await transceive(requestPdu(4, 0, 44, Buffer.alloc(0))), faultPdu(4, 0x1c010002));
  const standard = await tree.queryInfo(h.fileId, InfoType.FILE, 5);
  assert.equal(standard.readBigUInt64LE(0), 4096n, 'AllocationSize');
  assert.equal(standard.readBigUInt64LE(8), 0n, 'EndOfFile');
  await tree.close(h.fileId);
  await assert.rejects(transceive(bind), isStatus(Status.FILE_CLOSED));
  c.close();
});
