import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, le16, le32, splits } from '../support/bytes.js';
import { RpcPipe, type RpcInterface } from '../../server/pipes/dcerpc-server.js';
import { DecodeError } from '../../wire/index.js';
import {
  FEATURE_NEGOTIATION, NDR20, NDR64, NULL_SYNTAX, SRVSVC_V3, bindPdu, contextElement, faultPdu, pduHeader, requestPdu, responsePdu,
} from '../support/pipes-rpc-bytes.js';

/** A test interface with the srvsvc identity whose opnum 7 echoes its stub reversed and opnum 8 rejects its stub. */
const echo: RpcInterface = {
  syntax: { uuid: '4b324fc8-1670-01d3-1278-5a47bf6ee188', version: 3 },
  endpoint: '\\PIPE\\srvsvc',
  operations: {
    7: (stub) => Buffer.from(stub).reverse(),
    8: () => {
      throw new DecodeError('bad stub');
    },
  },
};

const smbclientBind = bindPdu(1, 4280, [
  contextElement(0, SRVSVC_V3, [NDR20]),
  contextElement(1, SRVSVC_V3, [NDR64]),
  contextElement(2, SRVSVC_V3, [FEATURE_NEGOTIATION]),
]);

function bindAck(callId: number, maxXmit: number, address: string, results: Buffer[]): Buffer {
  const addr = address ? Buffer.from(`${address}\0`, 'latin1') : Buffer.alloc(0);
  const pad = (4 - ((24 + 2 + addr.length) % 4)) % 4;
  const body = cat(le16(maxXmit), le16(4280), le32(0x12345), le16(addr.length), addr, Buffer.alloc(pad), [results.length, 0, 0, 0], ...results);
  return cat(pduHeader(12, 3, 16 + body.length, callId), body);
}

const accepted = cat(le16(0), le16(0), NDR20);
const rejected = (reason: number) => cat(le16(2), le16(reason), NULL_SYNTAX);

function bound(): RpcPipe {
  const pipe = new RpcPipe([echo]);
  pipe.receive(smbclientBind);
  return pipe;
}

test('BIND as smbclient sends it: NDR 2.0 accepted, NDR64 and feature negotiation rejected', () => {
  const out = new RpcPipe([echo]).receive(smbclientBind);
  assert.deepEqual(out, [bindAck(1, 4280, '\\PIPE\\srvsvc', [accepted, rejected(2), rejected(2)])]);
});

test('BIND for an unknown interface is acked with abstract syntax not supported and no address', () => {
  const other = cat(Buffer.alloc(16, 0x11), le32(1));
  const out = new RpcPipe([echo]).receive(bindPdu(9, 2048, [contextElement(0, other, [NDR20])]));
  assert.deepEqual(out, [bindAck(9, 2048, '', [rejected(1)])]);
});

test('REQUEST runs the operation and answers one RESPONSE fragment', () => {
  const out = bound().receive(requestPdu(2, 0, 7, Buffer.from([1, 2, 3, 4])));
  assert.deepEqual(out, [responsePdu(2, 3, 4, Buffer.from([4, 3, 2, 1]))]);
});

test('a PDU split across writes at every byte is answered once, whole', () => {
  const request = requestPdu(3, 0, 7, Buffer.from('abcdefgh'));
  for (const [a, b] of splits(cat(smbclientBind, request))) {
    const pipe = new RpcPipe([echo]);
    const out = [...pipe.receive(a), ...pipe.receive(b)];
    assert.equal(out.length, 2);
    assert.deepEqual(out[1], responsePdu(3, 3, 8, Buffer.from('hgfedcba')));
  }
});

test('a response larger than max_recv_frag goes out in fragments of at most that size', () => {
  const pipe = new RpcPipe([echo]);
  pipe.receive(bindPdu(1, 64, [contextElement(0, SRVSVC_V3, [NDR20])]));
  const stub = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  const out = pipe.receive(requestPdu(2, 0, 7, stub));
  const reversed = Buffer.from(stub).reverse();
  // 64 - 24 header bytes = 40 stub bytes per fragment (a multiple of 8).
  assert.deepEqual(out, [
    responsePdu(2, 1, 100, reversed.subarray(0, 40)),
    responsePdu(2, 0, 60, reversed.subarray(40, 80)),
    responsePdu(2, 2, 20, reversed.subarray(80)),
  ]);
});

test('a request in several fragments is reassembled before the call', () => {
  const pipe = bound();
  assert.deepEqual(pipe.receive(requestPdu(4, 0, 7, Buffer.from([1, 2]), 1)), []);
  assert.deepEqual(pipe.receive(requestPdu(4, 0, 7, Buffer.from([3]), 0)), []);
  assert.deepEqual(pipe.receive(requestPdu(4, 0, 7, Buffer.from([4]), 2)), [responsePdu(4, 3, 4, Buffer.from([4, 3, 2, 1]))]);
});

test('unknown opnum, unbound context and bad stub data get FAULTs', () => {
  const pipe = bound();
  assert.deepEqual(pipe.receive(requestPdu(5, 0, 99, Buffer.alloc(0))), [faultPdu(5, 0x1c010002)]);
  assert.deepEqual(pipe.receive(requestPdu(6, 1, 7, Buffer.alloc(0))), [faultPdu(6, 0x1c010003, 0x23, 1)]);
  assert.deepEqual(pipe.receive(requestPdu(7, 0, 8, Buffer.alloc(4))), [faultPdu(7, 0x6f7, 0x03)]);
  assert.deepEqual(new RpcPipe([echo]).receive(requestPdu(8, 0, 7, Buffer.alloc(0))), [faultPdu(8, 0x1c010003)]);
});

test('malformed PDUs get a protocol-error FAULT, never an exception, and the pipe keeps working', () => {
  const cases: Buffer[] = [
    cat([4, 0, 0, 3, 0x10, 0, 0, 0], le16(16), le16(0), le32(1)), // rpc version 4
    cat([5, 0, 0, 3, 0x00, 0, 0, 0], le16(16), le16(0), le32(1)), // big-endian drep
    pduHeader(11, 3, 20, 1).subarray(0, 16), // frag_length 20 but only a header: waits, then the next PDU completes it
    pduHeader(11, 3, 16, 1), // BIND without a body
    cat(pduHeader(11, 3, 28, 1), le16(4280), le16(4280), le32(0), [5, 0, 0, 0]), // 5 contexts announced, none present
    cat(pduHeader(0, 3, 20, 1), le32(0)), // REQUEST cut short
    pduHeader(99, 3, 16, 1), // unknown PDU type
    pduHeader(11, 3, 60000, 1), // frag_length beyond what we accept
    pduHeader(11, 3, 3, 1), // frag_length below the header size
  ];
  for (const pdu of cases) {
    const pipe = bound();
    const out = pipe.receive(pdu);
    if (pdu.length < 20 && pdu.readUInt16LE(8) === 20) {
      assert.deepEqual(out, []);
      continue;
    }
    assert.equal(out.length, 1, pdu.toString('hex'));
    assert.equal(out[0]![2], 3, `FAULT expected for ${pdu.toString('hex')}`);
    assert.equal(out[0]!.readUInt32LE(24), 0x1c01000b);
    assert.deepEqual(pipe.receive(requestPdu(2, 0, 7, Buffer.from([1, 2]))), [responsePdu(2, 3, 2, Buffer.from([2, 1]))]);
  }
});

test('an authenticated BIND is refused with BIND_NAK', () => {
  const withAuth = Buffer.from(smbclientBind);
  withAuth.writeUInt16LE(8, 10);
  const out = new RpcPipe([echo]).receive(withAuth);
  assert.deepEqual(out, [cat(pduHeader(13, 3, 24, 1), le16(8), [1, 5, 0], [0, 0, 0])]);
});
