import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type ServerFixture } from '../support/server-fixture.js';
import { le16, le64 } from '../support/bytes.js';
import { smb2Header } from '../support/server-pdus.js';
import { Command, HeaderFlag } from '../../smb2/constants.js';
import { type Smb2Header } from '../../smb2/header.js';
import { Status } from '../../smb2/status.js';
import { encodeEchoRequest, encodeEchoResponse } from '../../smb2/commands/echo.js';
import { RequestList } from '../../server/async-requests.js';
import { handlers } from '../../server/handlers/index.js';
import type { CommandTable } from '../../server/dispatch.js';
import type { HandlerResult } from '../../server/handler.js';
import type { ConnectionState } from '../../server/state.js';
import { signInPlace } from '../../auth/signing.js';
import { recordingClient, until, type RecordingClient } from '../support/recording-client.js';

/** ECHO made to wait (a test-only command): it answers when released, or STATUS_CANCELLED on CANCEL. */
const waiting: Array<(r: HandlerResult) => void> = [];
const signals: AbortSignal[] = [];
/** The connection each waiting ECHO came in on (its sessions hold the signing keys). */
const conns: ConnectionState[] = [];
const commands: CommandTable = {
  ...handlers,
  [Command.ECHO]: {
    needs: 'connection',
    handler: async (ctx) => ({
      final: new Promise<HandlerResult>((resolve) => {
        waiting.push(resolve);
        signals.push(ctx.cancelled);
        conns.push(ctx.conn);
        ctx.cancelled.addEventListener('abort', () => resolve({ status: Status.CANCELLED }));
      }),
    }),
  },
};

let f: ServerFixture;
before(async () => {
  f = await startServer({}, { commands });
});
after(async () => {
  await f.close();
});

function header(o: Partial<Smb2Header>): Smb2Header {
  return { creditCharge: 0, status: 0, command: Command.CANCEL, credits: 0, flags: 0, nextCommand: 0, messageId: 0n, treeId: 0, asyncId: 0n, sessionId: 0n, signature: Buffer.alloc(16), ...o };
}

test('RequestList: AsyncIds are unique and never 0; CANCEL finds by AsyncId with the ASYNC flag (async requests only), else by MessageId (any request in progress)', () => {
  const list = new RequestList(2);
  const a = list.begin(header({ command: Command.LOCK, messageId: 7n, sessionId: 1n }));
  const b = list.begin(header({ command: Command.LOCK, messageId: 9n, sessionId: 1n }));
  const c = list.begin(header({ command: Command.LOCK, messageId: 11n, sessionId: 1n }));
  assert.equal(list.find(header({ messageId: 11n })), c, 'by MessageId before it went async');
  assert.ok(list.goAsync(a) && list.goAsync(b));
  assert.notEqual(a.asyncId, 0n);
  assert.notEqual(a.asyncId, b.asyncId);
  assert.equal(list.mayGoAsync, false);
  assert.equal(list.goAsync(c), false, 'no more than the limit go async');
  assert.equal(list.find(header({ flags: HeaderFlag.ASYNC_COMMAND, asyncId: b.asyncId! })), b);
  assert.equal(list.find(header({ flags: HeaderFlag.ASYNC_COMMAND, asyncId: 999n })), undefined);
  assert.equal(list.find(header({ messageId: 7n })), a);
  list.end(b);
  list.end(b);
  assert.equal(list.find(header({ flags: HeaderFlag.ASYNC_COMMAND, asyncId: b.asyncId! })), undefined);
  assert.equal(list.size, 2);
  assert.equal(list.asyncCount, 1);
  list.cancelAll();
  assert.equal(a.abort.signal.aborted, true);
  assert.equal(c.abort.signal.aborted, true);
});

const client = (signing = false): Promise<RecordingClient> => recordingClient(f, { signing });
/** Within 1 s. */
const soon = <T>(get: () => T | undefined): Promise<T> => until(get, 200);

const interimOf = (seen: Smb2Header[], command: number) => () => seen.find((h) => h.command === command && h.status === Status.PENDING);

test('a pending request gets an interim STATUS_PENDING response with an AsyncId and credits, then its final one on the same MessageId without credits', async () => {
  const { c, seen } = await client();
  const reply = c.request(Command.ECHO, encodeEchoRequest());
  const interim = await soon(interimOf(seen, Command.ECHO));
  assert.ok(interim.flags & HeaderFlag.ASYNC_COMMAND, 'SMB2_FLAGS_ASYNC_COMMAND, [MS-SMB2] 3.3.4.2');
  assert.notEqual(interim.asyncId, 0n);
  assert.ok(interim.credits >= 1, 'the interim response grants credits, [MS-SMB2] 3.3.1.2');
  waiting.shift()!({ status: Status.SUCCESS, body: encodeEchoResponse() });
  const final = (await reply).header;
  assert.equal(final.status, Status.SUCCESS);
  assert.equal(final.messageId, interim.messageId);
  assert.ok(final.flags & HeaderFlag.ASYNC_COMMAND);
  assert.equal(final.asyncId, interim.asyncId);
  assert.equal(final.credits, 0);
  c.close();
});

function cancelMessage(o: { messageId: bigint; asyncId?: bigint; sessionId: bigint; signed?: boolean }): Buffer {
  const flags = (o.asyncId !== undefined ? HeaderFlag.ASYNC_COMMAND : 0) | (o.signed ? HeaderFlag.SIGNED : 0);
  const h = smb2Header({ command: Command.CANCEL, messageId: o.messageId, sessionId: o.sessionId, flags, creditCharge: 0, credits: 0 });
  if (o.asyncId !== undefined) le64(o.asyncId).copy(h, 32);
  return Buffer.concat([h, le16(4), le16(0)]);
}

for (const by of ['AsyncId', 'MessageId'] as const) {
  test(`CANCEL by ${by} completes the pending request with STATUS_CANCELLED and gets no answer of its own`, async () => {
    const { c, seen, send } = await client();
    const reply = c.request(Command.ECHO, encodeEchoRequest(), { allowError: true });
    const interim = await soon(interimOf(seen, Command.ECHO));
    await send(cancelMessage({ messageId: interim.messageId, sessionId: interim.sessionId, asyncId: by === 'AsyncId' ? interim.asyncId : undefined }));
    const final = (await reply).header;
    assert.equal(final.status, Status.CANCELLED);
    assert.equal(final.asyncId, interim.asyncId);
    assert.equal(final.credits, 0);
    assert.equal(seen.filter((h) => h.command === Command.CANCEL).length, 0);
    c.close();
  });
}

test('a connection that closes gives up its pending requests (their cancel signal fires)', async () => {
  const { c, seen } = await client();
  void c.request(Command.ECHO, encodeEchoRequest()).catch(() => {});
  await soon(interimOf(seen, Command.ECHO));
  const signal = signals[signals.length - 1];
  assert.equal(signal.aborted, false);
  c.close();
  await soon(() => (signal.aborted ? true : undefined));
  await soon(() => (f.server.status().connections.length === 0 ? true : undefined));
});

/** After a round trip that follows it, the server has processed a CANCEL sent before (messages are handled in order). */
async function roundTrip(c: RecordingClient['c']): Promise<void> {
  await (await c.treeConnect('share')).disconnect();
}

test('a CANCEL that names another SessionId cancels nothing: the request stays pending and completes normally', async () => {
  const { c, seen, send } = await client();
  const reply = c.request(Command.ECHO, encodeEchoRequest(), { allowError: true });
  const interim = await soon(interimOf(seen, Command.ECHO));
  const signal = signals[signals.length - 1];
  await send(cancelMessage({ messageId: interim.messageId, sessionId: interim.sessionId + 1n, asyncId: interim.asyncId }));
  await send(cancelMessage({ messageId: interim.messageId, sessionId: 0n }));
  await roundTrip(c);
  assert.equal(signal.aborted, false);
  waiting.pop()!({ status: Status.SUCCESS, body: encodeEchoResponse() });
  assert.equal((await reply).header.status, Status.SUCCESS);
  c.close();
});

test('a session that requires signing: an unsigned CANCEL and one with a bad signature are ignored; a signed one cancels', async () => {
  const { c, seen, send } = await client(true);
  const reply = c.request(Command.ECHO, encodeEchoRequest(), { allowError: true });
  const interim = await soon(interimOf(seen, Command.ECHO));
  const signal = signals[signals.length - 1];
  const conn = conns[conns.length - 1];
  const key = conn.sessions.get(interim.sessionId)?.signingKey;
  assert.ok(key && conn.sessions.get(interim.sessionId)?.signingRequired);
  const ids = { messageId: interim.messageId, sessionId: interim.sessionId, asyncId: interim.asyncId };
  await send(cancelMessage(ids));
  const forged = cancelMessage({ ...ids, signed: true });
  forged.fill(0xa5, 48, 64);
  await send(forged);
  await roundTrip(c);
  assert.equal(signal.aborted, false, 'unsigned and badly signed CANCELs are ignored');
  const signed = cancelMessage({ ...ids, signed: true });
  signInPlace(conn.dialect, key, signed);
  await send(signed);
  const final = (await reply).header;
  assert.equal(final.status, Status.CANCELLED);
  assert.equal(final.asyncId, interim.asyncId);
  c.close();
});

test('a session that does not require signing: a signed CANCEL with a bad signature is ignored, an unsigned one cancels', async () => {
  const { c, seen, send } = await client();
  const reply = c.request(Command.ECHO, encodeEchoRequest(), { allowError: true });
  const interim = await soon(interimOf(seen, Command.ECHO));
  const signal = signals[signals.length - 1];
  const ids = { messageId: interim.messageId, sessionId: interim.sessionId };
  const forged = cancelMessage({ ...ids, signed: true });
  forged.fill(0x5a, 48, 64);
  await send(forged);
  await roundTrip(c);
  assert.equal(signal.aborted, false);
  await send(cancelMessage(ids));
  assert.equal((await reply).header.status, Status.CANCELLED);
  c.close();
});
