// A logged-in client over an in-memory transport that keeps every server-to-client notification
// (MessageId 0xFFFFFFFFFFFFFFFF: oplock and lease breaks) and the headers of all responses, for
// the oplock and lease tests. CREATE and OPLOCK_BREAK bodies come from support/oplock-pdus.ts.
import { Smb2Client } from '../../client/smb2-client.js';
import type { Smb2Response } from '../../client/connection.js';
import { Command, Dialect } from '../../smb2/constants.js';
import { decodeHeader, type Smb2Header } from '../../smb2/header.js';
import { Reader } from '../../wire/index.js';
import { TEST_PASSWORD, TEST_USER, type ServerFixture } from './server-fixture.js';
import { MemoryRegistry, memoryTransportPair } from './server-memory-transport.js';
import { until } from './recording-client.js';

const NOTIFICATION = 0xffffffffffffffffn;

export interface BreakClient {
  c: Smb2Client;
  /** Whole notification messages, in arrival order. */
  notifications: Buffer[];
  /** Every header the server sent (interim responses and notifications included). */
  seen: Smb2Header[];
  create(body: Buffer): Promise<Smb2Response>;
  /** An OPLOCK_BREAK request (acknowledgment). */
  ack(body: Buffer): Promise<Smb2Response>;
  /** The `n`th notification (0-based), waiting up to 2 s for it. */
  notification(n: number): Promise<Buffer>;
  close(): void;
}

export async function breakClient(f: ServerFixture, dialect: number = Dialect.SMB3_0_2): Promise<BreakClient> {
  const pair = memoryTransportPair(new MemoryRegistry());
  const notifications: Buffer[] = [];
  const seen: Smb2Header[] = [];
  const recording = {
    ...pair.client,
    onMessage(h: (m: Buffer) => void) {
      pair.client.onMessage((m) => {
        const header = decodeHeader(new Reader(m));
        seen.push(header);
        if (header.messageId === NOTIFICATION) notifications.push(Buffer.from(m));
        h(m);
      });
    },
  };
  f.server.accept(pair.server);
  const c = await Smb2Client.connect({ port: 0, transport: recording, dialects: [dialect] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD });
  const tree = await c.treeConnect('share');
  const opts = { treeId: tree.treeId, sessionId: c.sessionId, allowError: true };
  return {
    c,
    notifications,
    seen,
    create: (body) => c.request(Command.CREATE, body, opts),
    ack: (body) => c.request(Command.OPLOCK_BREAK, body, opts),
    notification: (n) => until(() => notifications[n], 400),
    close: () => c.close(),
  };
}
