// [MS-SMBD] 2.2 message codecs against hand-written bytes, and the 3.1.5 checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hex } from '../support/bytes.js';
import { dataMessageBytes, negotiateRequestBytes } from '../support/smbdirect-bytes.js';
import { DecodeError } from '../../wire/index.js';
import {
  checkDataHeader, checkNegotiateRequest, checkNegotiateResponse, decodeDataHeader, decodeNegotiateRequest,
  decodeNegotiateResponse, encodeDataHeader, encodeNegotiateRequest, encodeNegotiateResponse,
} from '../../smbdirect/messages.js';

// The cifs client's defaults: versions 0x0100, 255 credits, send 1364, receive 1364, fragmented 1 MiB.
const NEGOTIATE_REQUEST = hex('0001 0001 0000 ff00 54050000 54050000 00001000');
const NEGOTIATE_RESPONSE = hex('0001 0001 0001 0000 ff00 0a00 00000000 00008000 54050000 54050000 00001000');

test('negotiate request: golden bytes both ways', () => {
  const fields = { minVersion: 0x100, maxVersion: 0x100, creditsRequested: 255, preferredSendSize: 1364, maxReceiveSize: 1364, maxFragmentedSize: 1048576 };
  assert.deepEqual(encodeNegotiateRequest(fields), NEGOTIATE_REQUEST);
  assert.deepEqual(decodeNegotiateRequest(NEGOTIATE_REQUEST), fields);
  assert.deepEqual(negotiateRequestBytes(), NEGOTIATE_REQUEST, 'the test builder agrees');
});

test('negotiate response: golden bytes both ways', () => {
  const fields = {
    minVersion: 0x100, maxVersion: 0x100, negotiatedVersion: 0x100, creditsRequested: 255, creditsGranted: 10, status: 0,
    maxReadWriteSize: 8 * 1024 * 1024, preferredSendSize: 1364, maxReceiveSize: 1364, maxFragmentedSize: 1048576,
  };
  assert.deepEqual(encodeNegotiateResponse(fields), NEGOTIATE_RESPONSE);
  assert.deepEqual(decodeNegotiateResponse(NEGOTIATE_RESPONSE), fields);
});

test('data transfer header: with data it is padded to DataOffset 24, without data it is 20 bytes', () => {
  const withData = encodeDataHeader({ creditsRequested: 255, creditsGranted: 3, flags: 1, remainingDataLength: 100, dataLength: 1340 });
  assert.deepEqual(withData, hex('ff00 0300 0100 0000 64000000 18000000 3c050000 00000000'));
  assert.deepEqual(withData, dataMessageBytes({ creditsGranted: 3, flags: 1, remainingDataLength: 100, dataLength: 1340, data: Buffer.alloc(1) }).subarray(0, 24));
  const empty = encodeDataHeader({ creditsRequested: 1, creditsGranted: 0, flags: 0, remainingDataLength: 0, dataLength: 0 });
  assert.deepEqual(empty, hex('0100 0000 0000 0000 00000000 00000000 00000000'));
  assert.deepEqual(decodeDataHeader(withData), { creditsRequested: 255, creditsGranted: 3, flags: 1, remainingDataLength: 100, dataOffset: 24, dataLength: 1340 });
});

test('every truncation of each message is a DecodeError, never a short read', () => {
  for (const [bytes, decode] of [[NEGOTIATE_REQUEST, decodeNegotiateRequest], [NEGOTIATE_RESPONSE, decodeNegotiateResponse], [dataMessageBytes(), decodeDataHeader]] as const) {
    for (let n = 0; n < bytes.length; n++) assert.throws(() => decode(bytes.subarray(0, n)), DecodeError, `${n} bytes`);
    assert.doesNotThrow(() => decode(bytes));
  }
});

test('negotiate request checks, [MS-SMBD] 3.1.5.6', () => {
  const check = (b: Buffer) => checkNegotiateRequest(b.length, b.length >= 20 ? decodeNegotiateRequest(b) : null);
  assert.equal(check(negotiateRequestBytes()), null);
  assert.equal(check(negotiateRequestBytes({ minVersion: 0x0100, maxVersion: 0x0200 })), null);
  assert.equal(check(negotiateRequestBytes({ minVersion: 0x0200, maxVersion: 0x0300 })), 'version');
  assert.equal(check(negotiateRequestBytes({ minVersion: 0x0000, maxVersion: 0x00ff })), 'version');
  assert.match(check(negotiateRequestBytes().subarray(0, 19)) ?? '', /19 bytes/);
  assert.match(check(negotiateRequestBytes({ creditsRequested: 0 })) ?? '', /0 credits/);
  assert.match(check(negotiateRequestBytes({ maxReceiveSize: 127 })) ?? '', /MaxReceiveSize 127/);
  assert.equal(check(negotiateRequestBytes({ maxReceiveSize: 128 })), null);
  assert.match(check(negotiateRequestBytes({ maxFragmentedSize: 131071 })) ?? '', /MaxFragmentedSize 131071/);
  assert.equal(check(negotiateRequestBytes({ maxFragmentedSize: 131072 })), null);
});

test('negotiate response checks, [MS-SMBD] 3.1.5.2', () => {
  const ok = decodeNegotiateResponse(NEGOTIATE_RESPONSE);
  assert.equal(checkNegotiateResponse(32, ok, 1364), null);
  assert.match(checkNegotiateResponse(31, ok, 1364) ?? '', /31 bytes/);
  assert.match(checkNegotiateResponse(32, { ...ok, status: 0xc00000bb }, 1364) ?? '', /c00000bb/);
  assert.match(checkNegotiateResponse(32, { ...ok, creditsGranted: 0 }, 1364) ?? '', /grants 0/);
  assert.match(checkNegotiateResponse(32, { ...ok, preferredSendSize: 2000 }, 1364) ?? '', /PreferredSendSize 2000/);
  assert.match(checkNegotiateResponse(32, { ...ok, negotiatedVersion: 0x200 }, 1364) ?? '', /version/);
});

test('data message checks, [MS-SMBD] 3.1.5.8', () => {
  const check = (b: Buffer, max = 1048576) => checkDataHeader(b.length, b.length >= 20 ? decodeDataHeader(b) : null, max);
  const data = Buffer.alloc(100, 7);
  assert.equal(check(dataMessageBytes({ data })), null);
  assert.equal(check(dataMessageBytes()), null, 'an empty message (keep-alive, credit grant)');
  assert.match(check(dataMessageBytes().subarray(0, 19)) ?? '', /19 bytes/);
  assert.match(check(dataMessageBytes({ data, creditsRequested: 0 })) ?? '', /0 credits/);
  assert.match(check(dataMessageBytes({ data, dataOffset: 28 })) ?? '', /not 8-byte aligned/);
  assert.match(check(dataMessageBytes({ data, dataOffset: 16 })) ?? '', /outside/);
  assert.match(check(dataMessageBytes({ data, dataLength: 101 })) ?? '', /outside/);
  assert.equal(check(dataMessageBytes({ data, remainingDataLength: 1048476 })), null, 'exactly MaxFragmentedSize');
  assert.match(check(dataMessageBytes({ data, remainingDataLength: 1048477 })) ?? '', /1048577 bytes > 1048576/);
  assert.match(check(dataMessageBytes({ remainingDataLength: 5 })) ?? '', /empty fragment/);
});
