import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, hex, le16, le32, le64, utf16, zeros } from '../support/bytes.js';
import { Reader, Writer } from '../../wire/index.js';
import { decodeHeader, encodeHeader, headerDefaults } from '../../smb2/header.js';
import { decodeNegotiateRequest, encodeNegotiateResponse, encodeNegotiateRequest, decodeNegotiateResponse, encodePreauthContext } from '../../smb2/commands/negotiate.js';
import { decodeSessionSetupRequest, encodeSessionSetupResponse, encodeSessionSetupRequest } from '../../smb2/commands/session-setup.js';
import { decodeTreeConnectRequest, encodeTreeConnectResponse, encodeTreeConnectRequest } from '../../smb2/commands/tree-connect.js';
import { decodeCreateRequest, encodeCreateResponse, encodeCreateRequest } from '../../smb2/commands/create.js';
import { decodeCloseRequest, encodeCloseResponse } from '../../smb2/commands/close.js';
import { decodeReadRequest, encodeReadResponseHeader, encodeReadRequest } from '../../smb2/commands/read.js';
import { decodeWriteRequest, encodeWriteResponse, encodeWriteRequestHeader } from '../../smb2/commands/write.js';
import { decodeLockRequest } from '../../smb2/commands/lock.js';
import { decodeIoctlRequest, encodeIoctlResponse } from '../../smb2/commands/ioctl.js';
import { decodeQueryDirectoryRequest, encodeQueryDirectoryResponse } from '../../smb2/commands/query-directory.js';
import { decodeQueryInfoRequest } from '../../smb2/commands/query-info.js';
import { decodeSetInfoRequest, encodeSetInfoResponse } from '../../smb2/commands/set-info.js';
import { encodeErrorResponse } from '../../smb2/commands/error.js';
import { encodeEchoResponse } from '../../smb2/commands/echo.js';
import { decodeSmb1Negotiate } from '../../smb2/smb1-negotiate.js';
import { encodeNetworkInterfaceInfo } from '../../smb2/commands/fsctl.js';
import { DecodeError } from '../../wire/index.js';
import { smb1NegotiateMessage } from '../support/server-pdus.js';

const FILE_ID = cat(le64(0x1122334455667788n), le64(0x99aabbccddeeff00n));
const fileId = { persistent: 0x1122334455667788n, volatile: 0x99aabbccddeeff00n };

/** A body reader the way the server sees it: header bytes (zeros) then the body at offset 64. */
function bodyReader(body: Buffer): Reader {
  return new Reader(cat(zeros(64), body), 64);
}

test('sync header: golden bytes both ways', () => {
  const bytes = cat(
    hex('fe534d42'), le16(64), le16(3), le32(0xc0000022), le16(8), le16(31), le32(0x9), le32(0), le64(0x1234n), le32(0), le32(7), le64(0xabcdn), Buffer.alloc(16, 0x5a),
  );
  const h = decodeHeader(new Reader(bytes));
  assert.deepEqual({ ...h, signature: h.signature.toString('hex') }, {
    creditCharge: 3, status: 0xc0000022, command: 8, credits: 31, flags: 9, nextCommand: 0, messageId: 0x1234n, treeId: 7, asyncId: 0n,
    sessionId: 0xabcdn, signature: '5a'.repeat(16),
  });
  assert.deepEqual(Buffer.from(encodeHeader(new Writer(), h).finish()), bytes);
});

test('async header: AsyncId replaces Reserved/TreeId', () => {
  const bytes = cat(hex('fe534d42'), le16(64), le16(1), le32(0x103), le16(0xf), le16(1), le32(0x3), le32(0), le64(9n), le64(0x77n), le64(1n), zeros(16));
  const h = decodeHeader(new Reader(bytes));
  assert.equal(h.asyncId, 0x77n);
  assert.equal(h.treeId, 0);
  assert.deepEqual(Buffer.from(encodeHeader(new Writer(), h).finish()), bytes);
});

test('header with a wrong protocol id or size is a DecodeError', () => {
  assert.throws(() => decodeHeader(new Reader(cat(hex('ff534d42'), zeros(60)))), DecodeError);
  assert.throws(() => decodeHeader(new Reader(cat(hex('fe534d42'), le16(65), zeros(58)))), DecodeError);
  assert.throws(() => decodeHeader(new Reader(hex('fe534d42'))), DecodeError);
});

test('NEGOTIATE request with 3.1.1 contexts decodes', () => {
  const guid = Buffer.alloc(16, 0x11);
  const preauth = cat(le16(1), le16(4), le16(1), hex('01020304'));
  const body = cat(
    le16(36), le16(2), le16(1), le16(0), le32(0x7f), guid, le32(64 + 40), le16(1), le16(0), le16(0x0300), le16(0x0311),
    // 64 + 36 + 4 = 104 -> aligned 104: contexts start at 104 (64 + 40)
    le16(1), le16(preauth.length), le32(0), preauth,
  );
  const m = decodeNegotiateRequest(bodyReader(body));
  assert.deepEqual(m.dialects, [0x0300, 0x0311]);
  assert.equal(m.capabilities, 0x7f);
  assert.deepEqual(m.contexts, [{ type: 1, data: preauth }]);
  assert.deepEqual(encodeNegotiateRequest(m), body);
});

test('NEGOTIATE response: golden bytes with security buffer and contexts', () => {
  const guid = Buffer.alloc(16, 0x22);
  const sec = hex('6006');
  const ctx = encodePreauthContext([1], Buffer.alloc(4, 0xee));
  const out = encodeNegotiateResponse({
    securityMode: 1, dialect: 0x0311, serverGuid: guid, capabilities: 4, maxTransactSize: 0x800000, maxReadSize: 0x800000, maxWriteSize: 0x800000,
    systemTime: 5n, serverStartTime: 0n, securityBuffer: sec, contexts: [ctx],
  });
  const expected = cat(
    le16(65), le16(1), le16(0x0311), le16(1), guid, le32(4), le32(0x800000), le32(0x800000), le32(0x800000), le64(5n), le64(0n),
    le16(128), le16(2), le32(136), sec, zeros(6),
    le16(1), le16(10), le32(0), le16(1), le16(4), le16(1), Buffer.alloc(4, 0xee),
  );
  assert.deepEqual(out, expected);
  const back = decodeNegotiateResponse(new Reader(cat(zeros(64), out), 64));
  assert.equal(back.dialect, 0x0311);
  assert.deepEqual(back.securityBuffer, sec);
  assert.deepEqual(back.contexts[0].data, ctx.data);
});

test('SMB1 NEGOTIATE dialect strings', () => {
  assert.deepEqual(decodeSmb1Negotiate(smb1NegotiateMessage(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'])), ['NT LM 0.12', 'SMB 2.002', 'SMB 2.???']);
  assert.throws(() => decodeSmb1Negotiate(smb1NegotiateMessage(['x']).subarray(0, 34)), DecodeError);
});

test('SESSION_SETUP request and response', () => {
  const token = hex('a1b2c3');
  const body = cat(le16(25), [0], [2], le32(1), le32(0), le16(88), le16(3), le64(0n), token);
  const m = decodeSessionSetupRequest(bodyReader(body));
  assert.deepEqual(m, { flags: 0, securityMode: 2, capabilities: 1, previousSessionId: 0n, securityBuffer: token });
  assert.deepEqual(encodeSessionSetupRequest(m), body);
  assert.deepEqual(encodeSessionSetupResponse({ sessionFlags: 1, securityBuffer: token }), cat(le16(9), le16(1), le16(72), le16(3), token));
  assert.deepEqual(encodeSessionSetupResponse({ sessionFlags: 0, securityBuffer: Buffer.alloc(0) }), cat(le16(9), le16(0), le16(72), le16(0), [0]));
  assert.throws(() => decodeSessionSetupRequest(bodyReader(cat(le16(25), [0], [2], le32(1), le32(0), le16(88), le16(300), le64(0n), token))), DecodeError);
});

test('TREE_CONNECT request and response', () => {
  const path = utf16('\\\\srv\\share');
  const body = cat(le16(9), le16(0), le16(72), le16(path.length), path);
  assert.deepEqual(decodeTreeConnectRequest(bodyReader(body)), { flags: 0, path: '\\\\srv\\share' });
  assert.deepEqual(encodeTreeConnectRequest({ flags: 0, path: '\\\\srv\\share' }), body);
  assert.deepEqual(encodeTreeConnectResponse({ shareType: 1, shareFlags: 0x30, capabilities: 0, maximalAccess: 0x1f01ff }), cat(le16(16), [1, 0], le32(0x30), le32(0), le32(0x1f01ff)));
});

test('CREATE request with contexts and CREATE response', () => {
  const name = utf16('dir\\f.txt');
  const mxac = cat(le32(0), le16(16), le16(4), le16(0), le16(0), le32(0), Buffer.from('MxAc'));
  const body = cat(
    le16(57), [0], [0], le32(2), zeros(16), le32(0x120089), le32(0x80), le32(7), le32(1), le32(0x40), le16(120), le16(name.length), le32(120 + 24), le32(mxac.length),
    name, zeros(6), mxac,
  );
  const m = decodeCreateRequest(bodyReader(body));
  assert.equal(m.name, 'dir\\f.txt');
  assert.equal(m.desiredAccess, 0x120089);
  assert.equal(m.createOptions, 0x40);
  assert.deepEqual(m.contexts, [{ name: 'MxAc', data: Buffer.alloc(0) }]);
  assert.deepEqual(encodeCreateRequest(m), body);

  const qfid = Buffer.alloc(32, 3);
  const out = encodeCreateResponse({
    oplockLevel: 0, flags: 0, createAction: 2, creationTime: 1n, lastAccessTime: 2n, lastWriteTime: 3n, changeTime: 4n, allocationSize: 4096n, endOfFile: 10n,
    fileAttributes: 0x20, fileId, contexts: [{ name: 'QFid', data: qfid }],
  });
  const ctx = cat(le32(0), le16(16), le16(4), le16(0), le16(24), le32(32), Buffer.from('QFid'), zeros(4), qfid);
  assert.deepEqual(out, cat(le16(89), [0, 0], le32(2), le64(1n), le64(2n), le64(3n), le64(4n), le64(4096n), le64(10n), le32(0x20), le32(0), FILE_ID, le32(152), le32(ctx.length), ctx));
});

test('CREATE contexts that chain past the buffer are refused', () => {
  const bad = cat(le32(8), le16(16), le16(4), le16(0), le16(0), le32(0), Buffer.from('MxAc'), zeros(4));
  const name = utf16('a');
  const body = cat(le16(57), [0], [0], le32(2), zeros(16), le32(1), le32(0), le32(7), le32(1), le32(0), le16(120), le16(2), le32(128), le32(bad.length), name, zeros(6), bad);
  assert.throws(() => decodeCreateRequest(bodyReader(body)), DecodeError);
});

test('CLOSE request and response', () => {
  assert.deepEqual(decodeCloseRequest(bodyReader(cat(le16(24), le16(1), le32(0), FILE_ID))), { flags: 1, fileId });
  const out = encodeCloseResponse({ flags: 1, creationTime: 1n, lastAccessTime: 2n, lastWriteTime: 3n, changeTime: 4n, allocationSize: 5n, endOfFile: 6n, fileAttributes: 0x10 });
  assert.deepEqual(out, cat(le16(60), le16(1), le32(0), le64(1n), le64(2n), le64(3n), le64(4n), le64(5n), le64(6n), le32(0x10)));
});

test('READ request (with an RDMA descriptor) and response header', () => {
  const desc = cat(le64(0x1000n), le32(0xabc), le32(65536));
  const body = cat(le16(49), [0x50], [0], le32(65536), le64(4096n), FILE_ID, le32(1), le32(1), le32(0), le16(112), le16(16), desc);
  const m = decodeReadRequest(bodyReader(body));
  assert.deepEqual(m, { flags: 0, length: 65536, offset: 4096, fileId, minimumCount: 1, channel: 1, remainingBytes: 0, channelInfo: [{ offset: 0x1000n, token: 0xabc, length: 65536 }] });
  assert.deepEqual(encodeReadResponseHeader({ dataLength: 100, dataRemaining: 0, flags: 0 }), cat(le16(17), [80, 0], le32(100), le32(0), le32(0)));
  const req = encodeReadRequest({ ...m, channel: 0, channelInfo: [] });
  assert.deepEqual(req, cat(le16(49), [0], [0], le32(65536), le64(4096n), FILE_ID, le32(1), le32(0), le32(0), le16(0), le16(0), [0]));
});

test('WRITE request and response', () => {
  const data = Buffer.from('payload');
  const body = cat(le16(49), le16(112), le32(data.length), le64(8n), FILE_ID, le32(0), le32(0), le16(0), le16(0), le32(0), data);
  const m = decodeWriteRequest(bodyReader(body));
  assert.deepEqual(Buffer.concat(m.data), data);
  assert.equal(m.length, data.length);
  assert.equal(m.offset, 8);
  assert.deepEqual(Buffer.concat([encodeWriteRequestHeader({ ...m, length: data.length }), data]), body);
  assert.deepEqual(encodeWriteResponse({ count: 7, remaining: 0 }), cat(le16(17), le16(0), le32(7), le32(0), le16(0), le16(0), [0]));
  const lying = cat(le16(49), le16(112), le32(1000), le64(8n), FILE_ID, le32(0), le32(0), le16(0), le16(0), le32(0), data);
  assert.throws(() => decodeWriteRequest(bodyReader(lying)), DecodeError);
});

test('LOCK request with two elements', () => {
  const body = cat(le16(48), le16(2), le32(0), FILE_ID, le64(0n), le64(10n), le32(2), le32(0), le64(20n), le64(5n), le32(1), le32(0));
  assert.deepEqual(decodeLockRequest(bodyReader(body)).locks, [{ offset: 0n, length: 10n, flags: 2 }, { offset: 20n, length: 5n, flags: 1 }]);
});

test('IOCTL request, response and the interface list', () => {
  const input = hex('01020304');
  const body = cat(le16(57), le16(0), le32(0x00140204), FILE_ID, le32(120), le32(4), le32(0), le32(0), le32(0), le32(24), le32(1), le32(0), input);
  const m = decodeIoctlRequest(bodyReader(body));
  assert.deepEqual({ ctl: m.ctlCode, input: m.input, max: m.maxOutputResponse, flags: m.flags }, { ctl: 0x00140204, input, max: 24, flags: 1 });
  assert.deepEqual(encodeIoctlResponse({ ctlCode: 0x001401fc, fileId, flags: 0, output: hex('aabb') }), cat(le16(49), le16(0), le32(0x001401fc), FILE_ID, le32(112), le32(0), le32(112), le32(2), le32(0), le32(0), hex('aabb')));
  const list = encodeNetworkInterfaceInfo([{ address: '10.0.0.7', speed: 25e9, rdmaCapable: true, rssCapable: false }]);
  assert.deepEqual(list, cat(le32(0), le32(1), le32(2), le32(0), le64(25_000_000_000n), le16(2), le16(0), [10, 0, 0, 7], zeros(8), zeros(112)));
});

test('QUERY_DIRECTORY, QUERY_INFO, SET_INFO requests and responses', () => {
  const pattern = utf16('*.txt');
  const qd = cat(le16(33), [0x25], [0x01], le32(0), FILE_ID, le16(96), le16(pattern.length), le32(65536), pattern);
  assert.deepEqual(decodeQueryDirectoryRequest(bodyReader(qd)), { infoClass: 0x25, flags: 1, fileIndex: 0, fileId, pattern: '*.txt', outputBufferLength: 65536 });
  assert.deepEqual(encodeQueryDirectoryResponse(hex('0102')), cat(le16(9), le16(72), le32(2), hex('0102')));
  assert.deepEqual(encodeQueryDirectoryResponse(Buffer.alloc(0)), cat(le16(9), le16(0), le32(0), [0]));
  const qi = cat(le16(41), [1], [0x12], le32(4096), le16(0), le16(0), le32(0), le32(0), le32(0), FILE_ID, [0]);
  const q = decodeQueryInfoRequest(bodyReader(qi));
  assert.deepEqual({ t: q.infoType, c: q.infoClass, n: q.outputBufferLength, id: q.fileId }, { t: 1, c: 0x12, n: 4096, id: fileId });
  const si = cat(le16(33), [1], [0x0d], le32(1), le16(96), le16(0), le32(0), FILE_ID, [1]);
  assert.deepEqual(decodeSetInfoRequest(bodyReader(si)), { infoType: 1, infoClass: 0x0d, buffer: Buffer.from([1]), additionalInformation: 0, fileId });
  assert.deepEqual(encodeSetInfoResponse(), le16(2));
});

test('ERROR and ECHO bodies', () => {
  assert.deepEqual(encodeErrorResponse(), cat(le16(9), [0, 0], le32(0), [0]));
  assert.deepEqual(encodeErrorResponse(le32(200)), cat(le16(9), [0, 0], le32(4), le32(200)));
  assert.deepEqual(encodeEchoResponse(), cat(le16(4), le16(0)));
});

test('every field read past the end of a truncated body is a DecodeError', () => {
  const full = cat(le16(49), [0x50], [0], le32(65536), le64(4096n), FILE_ID, le32(1), le32(0), le32(0), le16(0), le16(0), [0]);
  for (let n = 0; n < 48; n++) assert.throws(() => decodeReadRequest(bodyReader(full.subarray(0, n))), DecodeError, `cut at ${n}`);
  assert.doesNotThrow(() => headerDefaults({ command: 0 }));
});
