// Delete-on-close waits for the file's last open, [MS-FSA] 2.1.5.4. Found by the Linux kernel
// client (test/rdma/kernel-cifs): `exec 3< f; rm f; cat <&3` stats f by name while it reads
// through its handle, so the name must resolve until the last handle closes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startServer, TEST_USER, TEST_PASSWORD, type ServerFixture } from '../support/server-fixture.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { SmbError } from '../../client/connection.js';
import { Access, CreateDisposition, CreateOption, Dialect, InfoType } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';

const FILE_STANDARD_INFORMATION = 0x05; // [MS-FSCC] 2.4.47: DeletePending is byte 20

let f: ServerFixture;
before(async () => {
  f = await startServer();
});
after(async () => {
  await f.close();
});

async function login(): Promise<Smb2Client> {
  const c = await Smb2Client.connect({ port: f.port, dialects: [Dialect.SMB3_1_1] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD });
  return c;
}

function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

test('unlink while another connection holds the file open: the name stays until that handle closes', async () => {
  await writeFile(path.join(f.dir, 'held.txt'), 'still here');
  const reader = await login();
  const deleter = await login();
  const readerTree = await reader.treeConnect('share');
  const deleterTree = await deleter.treeConnect('share');
  const held = await readerTree.create('held.txt');
  await deleterTree.unlink('held.txt');
  assert.ok(await exists(path.join(f.dir, 'held.txt')), 'deleted while another handle is open');
  const info = await readerTree.queryInfo(held.fileId, InfoType.FILE, FILE_STANDARD_INFORMATION);
  assert.equal(info.length, 24);
  assert.equal((await readerTree.read(held.fileId, 0, 100)).toString(), 'still here');
  await assert.rejects(deleterTree.create('held.txt'), (e: unknown) => e instanceof SmbError && e.status === Status.DELETE_PENDING);
  await readerTree.close(held.fileId);
  assert.equal(await exists(path.join(f.dir, 'held.txt')), false, 'not deleted on the last close');
  const again = await deleterTree.create('held.txt', { desiredAccess: Access.GENERIC_ALL >>> 0, disposition: CreateDisposition.CREATE });
  await deleterTree.close(again.fileId);
  assert.equal(await readFile(path.join(f.dir, 'held.txt'), 'utf8'), '');
  reader.close();
  deleter.close();
});

test('DELETE_ON_CLOSE with a second handle on the same connection; a lone delete is immediate', async () => {
  const c = await login();
  const tree = await c.treeConnect('share');
  await mkdir(path.join(f.dir, 'dir-held'));
  const dirHandle = await tree.create('dir-held', { createOptions: CreateOption.DIRECTORY_FILE });
  const doomed = await tree.create('dir-held', { desiredAccess: (Access.DELETE | Access.FILE_READ_ATTRIBUTES) >>> 0, createOptions: CreateOption.DIRECTORY_FILE | CreateOption.DELETE_ON_CLOSE });
  await tree.close(doomed.fileId);
  assert.ok(await exists(path.join(f.dir, 'dir-held')));
  await tree.close(dirHandle.fileId);
  assert.equal(await exists(path.join(f.dir, 'dir-held')), false);
  await writeFile(path.join(f.dir, 'lone.txt'), 'x');
  await tree.unlink('lone.txt');
  assert.equal(await exists(path.join(f.dir, 'lone.txt')), false);
  c.close();
});
