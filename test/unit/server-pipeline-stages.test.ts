/** Each stage of the request pipeline (server/README.md) on its own, without a connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { smb2Header } from '../support/server-pdus.js';
import { Command, HeaderFlag, HEADER_SIZE } from '../../smb2/constants.js';
import { decodeHeader, type Smb2Header } from '../../smb2/header.js';
import { Status } from '../../smb2/status.js';
import { Reader } from '../../wire/index.js';
import { cat, le16 } from '../support/bytes.js';
import { signInPlace, verify } from '../../auth/signing.js';
import { chainResponses } from '../../server/compound.js';
import { encodeResponse } from '../../server/response.js';
import { signResponses } from '../../server/sign.js';
import { SendStage } from '../../server/send.js';
import { admitHeader, isDrop, refuseCancel } from '../../server/validate.js';
import { CreditWindow } from '../../server/credits.js';
import { ReadBudget } from '../../server/read-budget.js';
import { MessagePayloads } from '../../server/message-payloads.js';
import { silentLogger } from '../../server/log.js';
import type { ConnectionState, Session } from '../../server/state.js';
import type { Transport } from '../../server/transport.js';
import type { ReadPayload } from '../../server/file-io.js';

const DIALECT_3_0_2 = 0x0302;

function request(o: Partial<Smb2Header> = {}): Smb2Header {
  return decodeHeaderOf(smb2Header({ command: Command.READ, credits: 3, treeId: 7, sessionId: 9n, ...o, messageId: o.messageId ?? 5n }));
}

function decodeHeaderOf(b: Buffer): Smb2Header {
  return decodeHeader(new Reader(b));
}

function session(signingRequired: boolean): Session {
  return { id: 9n, state: 'valid', user: 'u', domain: 'd', guest: false, anonymous: false, signingKey: Buffer.alloc(16, 1), signingRequired, trees: new Map(), nextTreeId: 1 };
}

function payload(length: number): ReadPayload & { released: number } {
  const p = { chunks: [Buffer.alloc(length, 0xab)], length, path: 'zerocopy' as const, released: 0, release: () => void p.released++ };
  return p;
}

test('validate: a response sent to the server, a request before NEGOTIATE and a MessageId outside the window are drops; CANCEL consumes no credit', () => {
  const conn = { negotiated: undefined, dialect: 0, credits: new CreditWindow(10) } as unknown as ConnectionState;
  const drop = (pdu: Buffer) => {
    const r = admitHeader(conn, pdu);
    return isDrop(r) ? r.drop : 'admitted';
  };
  assert.equal(drop(smb2Header({ command: Command.NEGOTIATE, messageId: 0, flags: HeaderFlag.SERVER_TO_REDIR })), 'decode');
  assert.equal(drop(smb2Header({ command: Command.ECHO, messageId: 0 })), 'sequence');
  assert.equal(drop(smb2Header({ command: Command.CANCEL, messageId: 0 })), 'admitted');
  assert.equal(drop(smb2Header({ command: Command.NEGOTIATE, messageId: 0 })), 'admitted');
  assert.equal(drop(smb2Header({ command: Command.NEGOTIATE, messageId: 0 })), 'credits', 'a MessageId is used once');
  assert.equal(drop(Buffer.alloc(10)), 'decode');
});

test('validate CANCEL: same SessionId as its target, StructureSize 4, a good signature when signed, signed when the session requires signing', () => {
  const sessions = new Map<bigint, Session>([[9n, session(false)], [10n, { ...session(true), id: 10n }]]);
  const conn = { dialect: DIALECT_3_0_2, sessions } as unknown as ConnectionState;
  const cancel = (sessionId: bigint, o: { signed?: 'good' | 'bad'; size?: number } = {}) => {
    const pdu = cat(smb2Header({ command: Command.CANCEL, messageId: 5n, sessionId, flags: o.signed ? HeaderFlag.SIGNED : 0 }), le16(o.size ?? 4), le16(0));
    if (o.signed === 'good') signInPlace(DIALECT_3_0_2, sessions.get(sessionId)?.signingKey ?? Buffer.alloc(16), pdu);
    return { header: decodeHeaderOf(pdu), pdu };
  };
  const refused = (c: { header: Smb2Header; pdu: Buffer }, targetSession: bigint) => refuseCancel(conn, c.header, c.pdu, request({ sessionId: targetSession }));
  assert.equal(refused(cancel(9n), 9n), undefined);
  assert.equal(refused(cancel(9n, { signed: 'good' }), 9n), undefined);
  assert.equal(refused(cancel(9n), 10n), 'session', 'another session cannot cancel it');
  assert.equal(refused(cancel(9n, { size: 8 }), 9n), 'structure-size');
  assert.equal(refused(cancel(9n, { signed: 'bad' }), 9n), 'signature');
  assert.equal(refused(cancel(77n, { signed: 'good' }), 77n), 'session', 'a signed CANCEL needs a session');
  assert.equal(refused(cancel(10n), 10n), 'signature', 'unsigned, for a session that requires signing');
  assert.equal(refused(cancel(10n, { signed: 'good' }), 10n), undefined);
});

test('encode: the response header keeps MessageId and priority, grants the credits given, and carries the AsyncId of an async response', () => {
  const req = request({ flags: HeaderFlag.RELATED_OPERATIONS });
  const sync = encodeResponse(req, { status: Status.SUCCESS, body: Buffer.alloc(17) }, undefined, 4, { compound: true });
  const h = decodeHeaderOf(sync.parts[0]);
  assert.equal(h.messageId, 5n);
  assert.equal(h.credits, 4);
  assert.equal(h.treeId, 7);
  assert.equal(h.flags, HeaderFlag.SERVER_TO_REDIR | HeaderFlag.RELATED_OPERATIONS);
  assert.equal(sync.length, HEADER_SIZE + 17);
  const interim = encodeResponse(request(), { status: Status.PENDING }, undefined, 1, { compound: false, asyncId: 0x1234n });
  const a = decodeHeaderOf(interim.parts[0]);
  assert.equal(a.flags, HeaderFlag.SERVER_TO_REDIR | HeaderFlag.ASYNC_COMMAND);
  assert.equal(a.asyncId, 0x1234n);
  assert.equal(a.status, Status.PENDING);
  assert.equal(interim.length, HEADER_SIZE + 9, 'an ERROR body, [MS-SMB2] 2.2.2');
});

test('encode: signed when the request was signed, the session requires it, or the handler asks; never MORE_PROCESSING_REQUIRED', () => {
  const optional = session(false);
  assert.equal(encodeResponse(request(), { status: 0, body: Buffer.alloc(4) }, optional, 1, { compound: false }).signer, undefined);
  assert.equal(encodeResponse(request({ flags: HeaderFlag.SIGNED }), { status: 0, body: Buffer.alloc(4) }, optional, 1, { compound: false }).signer, optional);
  assert.equal(encodeResponse(request(), { status: 0, body: Buffer.alloc(4), reply: { sign: 'always' } }, optional, 1, { compound: false }).signer, optional);
  assert.equal(encodeResponse(request(), { status: 0, body: Buffer.alloc(4) }, session(true), 1, { compound: false }).signer?.signingRequired, true);
  assert.equal(encodeResponse(request(), { status: Status.MORE_PROCESSING_REQUIRED, body: Buffer.alloc(4) }, session(true), 1, { compound: false }).signer, undefined);
});

test('chain and sign: NextCommand points past 8-byte padding, each signed response verifies with its payload in place', () => {
  const s = session(true);
  const data = payload(13);
  const first = encodeResponse(request(), { status: 0, body: Buffer.alloc(17), payload: data }, s, 1, { compound: true });
  const second = encodeResponse(request({ messageId: 6n }), { status: 0, body: Buffer.alloc(4) }, s, 1, { compound: true });
  chainResponses([first, second]);
  assert.equal(first.length % 8, 0);
  assert.equal(first.parts[0].readUInt32LE(20), first.length);
  assert.equal(second.parts[0].readUInt32LE(20), 0);
  signResponses(DIALECT_3_0_2, [first, second]);
  assert.equal(first.parts[1], data.chunks[0], 'the READ data is signed where it lies');
  assert.ok(verify(DIALECT_3_0_2, s.signingKey!, Buffer.concat(first.parts)));
  assert.ok(verify(DIALECT_3_0_2, s.signingKey!, Buffer.concat(second.parts)));
});

function fakeTransport(fail = false) {
  const sent: Buffer[][] = [];
  const options: unknown[] = [];
  let disconnects = 0;
  const t = {
    kind: 'tcp', peer: 'fake', maxMessageBytes: 1 << 20,
    onMessage() {}, onClose() {},
    async send(parts: Buffer[], o?: unknown) {
      if (fail) throw new Error('gone');
      sent.push(parts);
      options.push(o);
    },
    disconnect: () => void disconnects++,
  } as unknown as Transport;
  return { t, sent, options, disconnects: () => disconnects };
}

function owner() {
  const budget = new ReadBudget(() => 1 << 20);
  const delivered: number[] = [];
  const payloads = new MessagePayloads(budget, budget, { closed: () => false, waiting() {}, limitHit() {}, delivered: (_p, n) => delivered.push(n) });
  return { payloads, delivered, budget };
}

test('send: one transport message per reply; READ bytes are counted when released, once, and released also when the send fails', async () => {
  for (const fail of [false, true]) {
    const f = fakeTransport(fail);
    const o = owner();
    const data = o.payloads.adopt(payload(100));
    const r = encodeResponse(request(), { status: 0, body: Buffer.alloc(17), payload: data, reply: { invalidateToken: 77 } }, undefined, 1, { compound: false });
    await new SendStage(f.t, silentLogger).send([r], o.payloads);
    o.payloads.settle();
    assert.equal(o.budget.payloads, 0, 'released');
    assert.deepEqual(o.delivered, fail ? [] : [100]);
    assert.equal(f.disconnects(), fail ? 1 : 0, 'a failed send closes the connection');
    if (!fail) {
      assert.equal(f.sent.length, 1);
      assert.deepEqual(f.options, [{ invalidateToken: 77 }]);
    }
  }
});

test('send: a response that asks to disconnect closes the connection after it is sent', async () => {
  const f = fakeTransport();
  const r = encodeResponse(request(), { status: Status.ACCESS_DENIED, reply: { disconnect: true } }, undefined, 1, { compound: false });
  await new SendStage(f.t, silentLogger).send([r], owner().payloads);
  assert.equal(f.sent.length, 1);
  assert.equal(f.disconnects(), 1);
});
