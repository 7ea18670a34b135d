import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, hex, le16, le32, le64, splits, zeros } from '../support/bytes.js';
import {
  decodeValidateNegotiateInfoRequest, decodeValidateNegotiateInfoResponse, encodeNetworkInterfaceInfo,
  encodeValidateNegotiateInfoRequest, encodeValidateNegotiateInfoResponse,
} from '../../smb2/commands/fsctl.js';
import { DecodeError } from '../../wire/index.js';
import { Status, SmbStatusError } from '../../smb2/status.js';

const GUID = hex('00112233445566778899aabbccddeeff');

/** VALIDATE_NEGOTIATE_INFO request, [MS-SMB2] 2.2.31.4: Capabilities, Guid, SecurityMode, DialectCount, Dialects. */
const VNI_REQUEST = cat(le32(0x44), GUID, le16(1), le16(3), le16(0x0202), le16(0x0210), le16(0x0300));
const vniRequest = { capabilities: 0x44, guid: GUID, securityMode: 1, dialects: [0x0202, 0x0210, 0x0300] };

test('VALIDATE_NEGOTIATE_INFO request: golden bytes both ways', () => {
  assert.deepEqual(decodeValidateNegotiateInfoRequest(VNI_REQUEST), vniRequest);
  assert.deepEqual(encodeValidateNegotiateInfoRequest(vniRequest), VNI_REQUEST);
});

test('VALIDATE_NEGOTIATE_INFO request cut short anywhere is a DecodeError with INVALID_PARAMETER', () => {
  for (const [head] of splits(VNI_REQUEST)) {
    if (head.length === VNI_REQUEST.length) continue;
    assert.throws(() => decodeValidateNegotiateInfoRequest(head), (e) => e instanceof DecodeError && e instanceof SmbStatusError && e.status === Status.INVALID_PARAMETER, `cut at ${head.length}`);
  }
});

test('VALIDATE_NEGOTIATE_INFO response, [MS-SMB2] 2.2.32.6: golden bytes both ways', () => {
  const m = { capabilities: 0x4, guid: GUID, securityMode: 3, dialect: 0x0302 };
  const bytes = cat(le32(0x4), GUID, le16(3), le16(0x0302));
  assert.deepEqual(encodeValidateNegotiateInfoResponse(m), bytes);
  assert.deepEqual(decodeValidateNegotiateInfoResponse(bytes), m);
});

test('NETWORK_INTERFACE_INFO: an IPv4 and an IPv6 entry chained by Next, each SOCKADDR_STORAGE 128 bytes', () => {
  const out = encodeNetworkInterfaceInfo([
    { address: '192.168.1.20', speed: 10e9, rdmaCapable: false, rssCapable: true },
    { address: 'fe80::1:2', speed: 1e9, rdmaCapable: true, rssCapable: true },
  ]);
  const v4 = cat(
    le32(152), le32(1), le32(0x1), le32(0), le64(10_000_000_000n), // Next, IfIndex, Capability RSS, Reserved, LinkSpeed
    le16(0x0002), le16(0), [192, 168, 1, 20], zeros(8), zeros(112), // SOCKADDR_IN (port 0), padding
  );
  const v6 = cat(
    le32(0), le32(2), le32(0x3), le32(0), le64(1_000_000_000n),
    le16(0x0017), le16(0), le32(0), // family AF_INET6, port, FlowInfo
    hex('fe80 0000 0000 0000 0000 0000 0001 0002'), le32(0), zeros(100), // address, ScopeId, padding
  );
  assert.equal(v4.length, 152);
  assert.equal(v6.length, 152);
  assert.deepEqual(out, cat(v4, v6));
});

test('NETWORK_INTERFACE_INFO with no interfaces is empty (the handler answers NOT_SUPPORTED)', () => {
  assert.equal(encodeNetworkInterfaceInfo([]).length, 0);
});
