// Shared by the guest tests that run spliced's SMB Direct server in-process and talk to it with
// our own SMB Direct client: the binding, a logged-in session, waiting, hashing, and a hook that
// runs code while a READ's RDMA WRITE is about to be posted.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Smb2Client, SmbDirectClientTransport, SmbDirectFileIo, type Tree } from '../../../client/index.js';
import { loadRdmaBinding, type RdmaBinding } from '../../../native/index.js';
import type { Transport } from '../../../server/transport.js';
import { TEST_PASSWORD, TEST_USER } from '../../support/server-fixture.js';
import type { SmbDirectServer } from '../../support/smbdirect-server.js';
import { GUEST_IP, withTimeout } from './helpers.js';

/** CREATE desired access: read, write and attributes (FILE_GENERIC_READ | FILE_GENERIC_WRITE). */
export const READ_WRITE = 0x12019f;

export function binding(): RdmaBinding {
  const loaded = loadRdmaBinding({ requireDevice: true });
  if ('error' in loaded) throw new Error(loaded.error);
  return loaded.binding;
}

export function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface Session {
  transport: SmbDirectClientTransport;
  tree: Tree;
  io: SmbDirectFileIo;
}

/** Connect, NEGOTIATE, log in and connect the share over SMB Direct. */
export async function session(srv: SmbDirectServer, b: RdmaBinding): Promise<Session> {
  const transport = await withTimeout(SmbDirectClientTransport.connect({ host: GUEST_IP, port: srv.port, binding: b }), 'SMB Direct connect');
  const client = await withTimeout(Smb2Client.connect({ port: 0, transport }), 'SMB2 NEGOTIATE over SMB Direct');
  await withTimeout(client.login({ user: TEST_USER, password: TEST_PASSWORD }), 'SESSION_SETUP over SMB Direct');
  const tree = await withTimeout(client.treeConnect('share'), 'TREE_CONNECT over SMB Direct');
  return { transport, tree, io: new SmbDirectFileIo(tree, transport) };
}

/**
 * `onTransport` for the server hooks: the next rdmaWrite (a READ's data going out) first awaits
 * the function given to `beforeNextRdmaWrite`, with the READ's pages already spliced.
 */
export function rdmaWriteHook(): { onTransport: (t: Transport) => void; beforeNextRdmaWrite: (hook: () => Promise<void>) => void } {
  let pending: (() => Promise<void>) | undefined;
  const onTransport = (t: Transport): void => {
    const real = t.rdmaWrite?.bind(t);
    assert.ok(real, 'an SMB Direct transport has rdmaWrite');
    t.rdmaWrite = async (descriptors, data) => {
      const hook = pending;
      pending = undefined;
      if (hook) await hook();
      return real(descriptors, data);
    };
  };
  return { onTransport, beforeNextRdmaWrite: (hook) => (pending = hook) };
}
