import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, hex, le16, le32, le64, splits, zeros } from '../support/bytes.js';
import {
  decodeNetworkInterfaceInfo, decodeValidateNegotiateInfoRequest, decodeValidateNegotiateInfoResponse, encodeNetworkInterfaceInfo,
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

/** One NETWORK_INTERFACE_INFO entry built by hand, [MS-SMB2] 2.2.32.5: IPv4 only. */
function ipv4Entry(next: number, ifIndex: number, capability: number, speed: bigint, octets: number[]): Buffer {
  return cat(le32(next), le32(ifIndex), le32(capability), le32(0), le64(speed), le16(0x0002), le16(0), octets, zeros(8), zeros(112));
}

test('NETWORK_INTERFACE_INFO decode: RDMA_CAPABLE and RSS_CAPABLE bits, IPv4 and IPv6, the Next chain', () => {
  const v6 = cat(
    le32(0), le32(7), le32(0x2), le32(0), le64(100_000_000_000n),
    le16(0x0017), le16(0), le32(0), hex('fd00 0000 0000 0000 0000 0000 0000 0001'), le32(0), zeros(100),
  );
  const bytes = cat(ipv4Entry(152, 3, 0x3, 25_000_000_000n, [10, 0, 0, 5]), v6);
  assert.deepEqual(decodeNetworkInterfaceInfo(bytes), [
    { ifIndex: 3, address: '10.0.0.5', speed: 25e9, rdmaCapable: true, rssCapable: true },
    { ifIndex: 7, address: 'fd00:0:0:0:0:0:0:1', speed: 100e9, rdmaCapable: true, rssCapable: false },
  ]);
  assert.deepEqual(decodeNetworkInterfaceInfo(Buffer.alloc(0)), []);
});

test('NETWORK_INTERFACE_INFO decode reads what the encoder wrote (RDMA flag kept per entry)', () => {
  const ifs = [
    { address: '192.168.7.1', speed: 40e9, rdmaCapable: true, rssCapable: false },
    { address: '192.168.8.1', speed: 1e9, rdmaCapable: false, rssCapable: false },
  ];
  assert.deepEqual(decodeNetworkInterfaceInfo(encodeNetworkInterfaceInfo(ifs)), ifs.map((i, n) => ({ ...i, ifIndex: n + 1 })));
});

test('NETWORK_INTERFACE_INFO decode refuses a Next that loops, overlaps or leaves the buffer, and cut entries', () => {
  const one = ipv4Entry(0, 1, 0x2, 1_000_000_000n, [10, 0, 0, 1]);
  for (const next of [1, 24, 151]) {
    assert.throws(() => decodeNetworkInterfaceInfo(cat(ipv4Entry(next, 1, 0, 1n, [10, 0, 0, 1]), one)), DecodeError, `Next ${next}`);
  }
  assert.throws(() => decodeNetworkInterfaceInfo(cat(ipv4Entry(304, 1, 0, 1n, [10, 0, 0, 1]), one)), DecodeError, 'Next past the end');
  for (const [head] of splits(one)) {
    if (head.length === 0 || head.length === one.length) continue;
    assert.throws(() => decodeNetworkInterfaceInfo(head), DecodeError, `cut at ${head.length}`);
  }
  const badFamily = Buffer.from(one);
  badFamily.writeUInt16LE(0x1234, 24);
  assert.throws(() => decodeNetworkInterfaceInfo(badFamily), /address family/);
});
