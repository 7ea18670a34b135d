/**
 * The framed socket both direct-TCP transports are built on (server/framed-socket.ts), alone:
 * two ends of a loopback connection, no SMB server. The server-level consequences of its limits
 * are in server-limits.test.ts and server-read-payloads.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { FramedSocket, type FrameLimits } from '../../server/framed-socket.js';
import { TcpClientTransport } from '../../client/transport.js';
import { socketPair, directTcpHeaderBytes as header } from '../support/socket-pair.js';
import { cat, le32 } from '../support/bytes.js';

function limits(over: Partial<FrameLimits> = {}): FrameLimits {
  return { maxMessageBytes: 1 << 20, frameTimeoutMs: 0, ...over };
}

function nextMessage(end: FramedSocket): Promise<Buffer> {
  return new Promise((resolve) => end.onMessage(resolve));
}

function closed(end: FramedSocket): Promise<Error | undefined> {
  return new Promise((resolve) => end.onClose(resolve));
}

test('a gather list goes out as one frame and arrives as one message, both ways', async () => {
  const p = await socketPair();
  try {
    const a = new FramedSocket(p.accepted, limits());
    const b = new FramedSocket(p.client, limits());
    const atB = nextMessage(b);
    await a.send([Buffer.from('abc'), Buffer.alloc(0), Buffer.from('defg')]);
    assert.deepEqual(await atB, Buffer.from('abcdefg'));
    const atA = nextMessage(a);
    await b.send([le32(0x01020304)]);
    assert.deepEqual(await atA, le32(0x01020304));
  } finally {
    p.close();
  }
});

test('a frame over maxMessageBytes closes the connection with the framing error; setMaxMessageBytes raises the limit', async () => {
  const p = await socketPair();
  try {
    const own = limits({ maxMessageBytes: 8 });
    const a = new FramedSocket(p.accepted, own);
    const got = nextMessage(a);
    a.setMaxMessageBytes(16);
    assert.equal(a.maxMessageBytes, 16);
    assert.equal(own.maxMessageBytes, 16, 'the limits object is kept and updated');
    p.client.write(cat(header(12), Buffer.alloc(12, 7)));
    assert.deepEqual(await got, Buffer.alloc(12, 7));
    const reason = closed(a);
    p.client.write(cat(header(17), Buffer.alloc(17)));
    assert.match(String((await reason)?.message), /exceeds 16/);
  } finally {
    p.close();
  }
});

test('bufferedBytes counts what arrived of an incomplete frame, not what it announced', async () => {
  const p = await socketPair();
  try {
    const a = new FramedSocket(p.accepted, limits());
    const got = nextMessage(a);
    p.client.write(cat(header(1000), Buffer.alloc(10)));
    for (let waited = 0; a.bufferedBytes() < 10 && waited < 2000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.bufferedBytes(), 10);
    p.client.write(Buffer.alloc(990));
    assert.equal((await got).length, 1000);
    assert.equal(a.bufferedBytes(), 0);
  } finally {
    p.close();
  }
});

test('a started frame that does not complete within frameTimeoutMs closes the connection and reports frame_timeout', async () => {
  const p = await socketPair();
  try {
    const hits: string[] = [];
    const a = new FramedSocket(p.accepted, limits({ frameTimeoutMs: 100, limitHit: (l) => hits.push(l) }));
    const reason = closed(a);
    p.client.write(header(50).subarray(0, 2));
    assert.match(String((await reason)?.message), /frame not completed in time/);
    assert.deepEqual(hits, ['frame_timeout']);
  } finally {
    p.close();
  }
});

test('without a frame timeout (the client) an incomplete frame just waits', async () => {
  const p = await socketPair();
  try {
    const a = new FramedSocket(p.accepted, limits());
    let isClosed = false;
    a.onClose(() => (isClosed = true));
    p.client.write(header(50).subarray(0, 2));
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(isClosed, false);
  } finally {
    p.close();
  }
});

test('send after disconnect is refused, and onClose after the close still hears about it', async () => {
  const p = await socketPair();
  try {
    const a = new FramedSocket(p.accepted, limits());
    const first = closed(a);
    a.disconnect();
    await assert.rejects(a.send([Buffer.from('x')]), /connection closed/);
    await first;
    assert.equal(await closed(a), undefined);
  } finally {
    p.close();
  }
});

test('TcpClientTransport is a framed socket: connect, exchange a frame, close', async () => {
  const server = net.createServer((s) => {
    const end = new FramedSocket(s, limits());
    end.onMessage((m) => void end.send([Buffer.from('echo:'), m]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const t = await TcpClientTransport.connect('127.0.0.1', (server.address() as net.AddressInfo).port);
    const got = new Promise<Buffer>((resolve) => t.onMessage(resolve));
    await t.send([Buffer.from('hi')]);
    assert.equal((await got).toString(), 'echo:hi');
    const gone = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    t.close();
    assert.equal(await gone, undefined);
  } finally {
    server.close();
  }
});
