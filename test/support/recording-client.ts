// A logged-in client over an in-memory transport that records the header of every response the
// server sends it (interim STATUS_PENDING ones included), for tests of async requests.
import { Smb2Client } from '../../client/smb2-client.js';
import { Dialect } from '../../smb2/constants.js';
import { decodeHeader, type Smb2Header } from '../../smb2/header.js';
import { Reader } from '../../wire/index.js';
import { TEST_PASSWORD, TEST_USER, type ServerFixture } from './server-fixture.js';
import { MemoryRegistry, memoryTransportPair } from './server-memory-transport.js';

export interface RecordingClient {
  c: Smb2Client;
  /** Every response header the server sent, in order. */
  seen: Smb2Header[];
  /** Send raw bytes as one message, bypassing the client (e.g. a CANCEL). */
  send: (m: Buffer) => Promise<void>;
}

export async function recordingClient(f: ServerFixture): Promise<RecordingClient> {
  const pair = memoryTransportPair(new MemoryRegistry());
  const seen: Smb2Header[] = [];
  const recording = {
    ...pair.client,
    onMessage(h: (m: Buffer) => void) {
      pair.client.onMessage((m) => {
        seen.push(decodeHeader(new Reader(m)));
        h(m);
      });
    },
  };
  f.server.accept(pair.server);
  const c = await Smb2Client.connect({ port: 0, transport: recording, dialects: [Dialect.SMB3_0_2] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD });
  return { c, seen, send: (m) => pair.client.send([m]) };
}

/** Polls `get` every 5 ms until it gives a value, `tries` times at most. */
export async function until<T>(get: () => T | undefined, tries: number): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('timed out');
}
