import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../support/server-fixture.js';
import { Smb2Client } from '../../client/smb2-client.js';
import { SmbError } from '../../client/connection.js';
import { SessionFlag } from '../../smb2/constants.js';
import { Status } from '../../smb2/status.js';

const stranger = { user: 'nobody-here', password: 'whatever' };

test('map to guest = never: an unknown user is refused', async () => {
  const f = await startServer({ mapToGuest: 'never' });
  try {
    const c = await Smb2Client.connect({ port: f.port });
    await assert.rejects(c.login(stranger), (e: unknown) => e instanceof SmbError && e.status === Status.LOGON_FAILURE);
  } finally {
    await f.close();
  }
});

test('map to guest = bad user: an unknown user becomes a guest of guest-ok shares only', async () => {
  const f = await startServer({ mapToGuest: 'bad user' });
  try {
    const c = await Smb2Client.connect({ port: f.port });
    await c.login(stranger);
    assert.equal(c.sessionFlags & SessionFlag.IS_GUEST, SessionFlag.IS_GUEST);
    const tree = await c.treeConnect('share');
    await tree.writeFile('guest.txt', Buffer.from('hello'));
    assert.equal((await tree.readFile('guest.txt')).toString(), 'hello');
    await assert.rejects(c.treeConnect('private'), (e: unknown) => e instanceof SmbError && e.status === Status.ACCESS_DENIED);
    await c.logoff();
  } finally {
    await f.close();
  }
});
