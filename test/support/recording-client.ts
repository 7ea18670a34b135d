// A logged-in client over an in-memory transport that records the header of every response the
// server sends it (interim STATUS_PENDING ones included), for tests of async requests.
import { Smb2Client, type SessionOptions } from '../../client/smb2-client.js';
import { Dialect } from '../../smb2/constants.js';
import { decodeHeader, HeaderOffset, type Smb2Header } from '../../smb2/header.js';
import { Reader } from '../../wire/index.js';
import { TEST_PASSWORD, TEST_USER, type ServerFixture } from './server-fixture.js';
import { MemoryRegistry, memoryTransportPair } from './server-memory-transport.js';

export interface RecordingClient {
  c: Smb2Client;
  /** Every response header the server sent, in order (each element of a compound reply). */
  seen: Smb2Header[];
  /** The response headers of each reply message, in order. */
  replies: Smb2Header[][];
  /** Send raw bytes as one message, bypassing the client (e.g. a CANCEL). */
  send: (m: Buffer) => Promise<void>;
  /** From now on keep what the client sends, in `held`, instead of sending it. */
  hold: () => void;
  held: Buffer[];
  /** Hand the held messages, then `extra`, to the server in one tick (as one TCP read can); stop holding. */
  release: (...extra: Buffer[]) => void;
}

/** The response headers of one reply message, following NextCommand. */
function headersOf(m: Buffer): Smb2Header[] {
  const out: Smb2Header[] = [];
  for (let at = 0; ; ) {
    out.push(decodeHeader(new Reader(m.subarray(at))));
    const next = m.readUInt32LE(at + HeaderOffset.NEXT_COMMAND);
    if (next === 0) return out;
    at += next;
  }
}

export async function recordingClient(f: ServerFixture, login: SessionOptions = {}): Promise<RecordingClient> {
  const pair = memoryTransportPair(new MemoryRegistry());
  const seen: Smb2Header[] = [];
  const replies: Smb2Header[][] = [];
  const held: Buffer[] = [];
  let holding = false;
  let toServer: (m: Buffer) => void = () => {};
  const recording = {
    ...pair.client,
    onMessage(h: (m: Buffer) => void) {
      pair.client.onMessage((m) => {
        const headers = headersOf(m);
        replies.push(headers);
        seen.push(...headers);
        h(m);
      });
    },
    async send(parts: Buffer[]) {
      if (!holding) return pair.client.send(parts);
      held.push(Buffer.concat(parts));
    },
  };
  f.server.accept({
    ...pair.server,
    onMessage(h: (m: Buffer) => void) {
      toServer = h;
      pair.server.onMessage(h);
    },
  });
  const c = await Smb2Client.connect({ port: 0, transport: recording, dialects: [Dialect.SMB3_0_2] });
  await c.login({ user: TEST_USER, password: TEST_PASSWORD }, login);
  return {
    c,
    seen,
    replies,
    send: (m) => pair.client.send([m]),
    hold: () => (holding = true),
    held,
    release: (...extra) => {
      holding = false;
      for (const m of [...held.splice(0), ...extra]) toServer(m);
    },
  };
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
