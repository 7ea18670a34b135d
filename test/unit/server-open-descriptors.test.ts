// An open's descriptor outlives its CLOSE while requests that found the open are still running:
// a thread-pool job of such a request (an EA read, a listing batch, a SET_INFO) must never act on
// a descriptor number that the close gave back and another open got.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fstatSync } from 'node:fs';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { treeClient } from '../support/logged-in-client.js';
import { closeOpen, findOpen, releaseOpens } from '../../server/open-files.js';
import type { RequestContext } from '../../server/handler.js';
import type { ConnectionState, Open } from '../../server/state.js';
import { CreateOption } from '../../smb2/constants.js';

let f: ServerFixture;
before(async () => {
  f = await startServer();
});
after(() => f.close());

const isOpen = (fd: number): boolean => {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
};

/** The server side of the client's only open, and a request context that names it as a request would. */
function serverSide(): { conn: ConnectionState; open: Open; ctx: RequestContext } {
  const conn = [...f.server.core.connections].find((x) => x.opens.size === 1);
  const [open] = [...conn!.opens.values()];
  const ctx = { conn, session: open!.session, tree: open!.tree, chain: {} } as unknown as RequestContext;
  return { conn: conn!, open: open!, ctx };
}

for (const kind of ['file', 'directory'] as const) {
  test(`a ${kind}'s descriptor closes after the last request using its open is final, not at its CLOSE`, async () => {
    const { c, tree } = await treeClient(f);
    await tree.create(`held-${kind}`, { disposition: 3, createOptions: kind === 'directory' ? CreateOption.DIRECTORY_FILE : 0 });
    const { conn, open, ctx } = serverSide();
    const fd = open.fd!;
    assert.equal(findOpen(ctx, open.fileId), open);
    await closeOpen(f.server.core, conn, open);
    assert.ok(isOpen(fd), 'still ours while a request uses the open');
    releaseOpens(ctx);
    assert.ok(!isOpen(fd) || (await new Promise((r) => setTimeout(r, 50)), !isOpen(fd)), 'closed once that request is final');
    c.close();
  });
}

test('an open nobody uses closes its descriptor at its CLOSE', async () => {
  const { c, tree } = await treeClient(f);
  await tree.create('idle', { disposition: 3, createOptions: CreateOption.DIRECTORY_FILE });
  const { conn, open } = serverSide();
  const fd = open.fd!;
  await closeOpen(f.server.core, conn, open);
  assert.ok(!isOpen(fd));
  c.close();
});
