import { isIP } from 'node:net';
import { DecodeError, Reader, Writer } from '../../wire/index.js';
import { InterfaceCapability } from '../constants.js';

/** VALIDATE_NEGOTIATE_INFO request, [MS-SMB2] 2.2.31.4: the client's view of its NEGOTIATE. */
export interface ValidateNegotiateInfoRequest {
  capabilities: number;
  guid: Buffer;
  securityMode: number;
  dialects: number[];
}

/** VALIDATE_NEGOTIATE_INFO response, [MS-SMB2] 2.2.32.6: the server's view of the same NEGOTIATE. */
export interface ValidateNegotiateInfoResponse {
  capabilities: number;
  guid: Buffer;
  securityMode: number;
  dialect: number;
}

export function decodeValidateNegotiateInfoRequest(input: Buffer): ValidateNegotiateInfoRequest {
  const r = new Reader(input);
  const capabilities = r.u32();
  const guid = r.bytes(16);
  const securityMode = r.u16();
  const count = r.u16();
  const dialects: number[] = [];
  for (let i = 0; i < count; i++) dialects.push(r.u16());
  return { capabilities, guid, securityMode, dialects };
}

export function encodeValidateNegotiateInfoRequest(m: ValidateNegotiateInfoRequest): Buffer {
  const w = new Writer(0, 24 + 2 * m.dialects.length).u32(m.capabilities).bytes(m.guid).u16(m.securityMode).u16(m.dialects.length);
  for (const d of m.dialects) w.u16(d);
  return w.finish();
}

export function encodeValidateNegotiateInfoResponse(m: ValidateNegotiateInfoResponse): Buffer {
  return new Writer(0, 24).u32(m.capabilities).bytes(m.guid).u16(m.securityMode).u16(m.dialect).finish();
}

export function decodeValidateNegotiateInfoResponse(output: Buffer): ValidateNegotiateInfoResponse {
  const r = new Reader(output);
  return { capabilities: r.u32(), guid: r.bytes(16), securityMode: r.u16(), dialect: r.u16() };
}

/** One interface the server advertises in NETWORK_INTERFACE_INFO, [MS-SMB2] 2.2.32.5. */
export interface NetworkInterface {
  /** IPv4 or IPv6 address. */
  address: string;
  /** LinkSpeed in bits per second. */
  speed: number;
  rdmaCapable: boolean;
  rssCapable: boolean;
}

/** AF_INET / AF_INET6 as SOCKADDR_STORAGE carries them, [MS-SMB2] 2.2.32.5.1. */
const AF_INET = 0x0002;
const AF_INET6 = 0x0017;
const SOCKADDR_STORAGE_SIZE = 128;
/** Next, IfIndex, Capability, Reserved, LinkSpeed, SockAddr_Storage: [MS-SMB2] 2.2.32.5. */
const NETWORK_INTERFACE_INFO_SIZE = 24 + SOCKADDR_STORAGE_SIZE;

/** SOCKADDR_STORAGE, [MS-SMB2] 2.2.32.5.1: SOCKADDR_IN or SOCKADDR_IN6 (port 0), zero-padded to 128 bytes. */
function writeSockaddr(w: Writer, address: string): void {
  const start = w.length;
  if (isIP(address) === 6) {
    w.u16(AF_INET6).u16(0).u32(0); // Family, Port, FlowInfo
    for (const g of expandIpv6(address)) w.u8(g >> 8).u8(g & 0xff);
    w.u32(0); // ScopeId
  } else {
    w.u16(AF_INET).u16(0);
    for (const octet of address.split('.')) w.u8(Number(octet) & 0xff);
    w.zeros(8);
  }
  w.zeros(SOCKADDR_STORAGE_SIZE - (w.length - start));
}

function expandIpv6(address: string): number[] {
  const [head, tail = ''] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16) || 0);
}

/** NETWORK_INTERFACE_INFO entries, [MS-SMB2] 2.2.32.5, chained by Next (the offset of the following entry). */
export function encodeNetworkInterfaceInfo(interfaces: NetworkInterface[]): Buffer {
  const w = new Writer(0, NETWORK_INTERFACE_INFO_SIZE * Math.max(1, interfaces.length));
  interfaces.forEach((ifc, i) => {
    const start = w.length;
    const capability = (ifc.rdmaCapable ? InterfaceCapability.RDMA_CAPABLE : 0) | (ifc.rssCapable ? InterfaceCapability.RSS_CAPABLE : 0);
    const next = w.reserveU32();
    w.u32(i + 1).u32(capability).u32(0).u64(BigInt(Math.round(ifc.speed)));
    writeSockaddr(w, ifc.address);
    if (i < interfaces.length - 1) w.fillU32(next, w.length - start);
  });
  return w.finish();
}

/** One decoded NETWORK_INTERFACE_INFO entry (the client's view). */
export interface DecodedNetworkInterface extends NetworkInterface {
  ifIndex: number;
}

function readSockaddr(r: Reader): string {
  const family = r.u16();
  r.skip(2); // Port
  if (family === AF_INET) return [...r.bytes(4)].join('.');
  if (family !== AF_INET6) throw new DecodeError(`NETWORK_INTERFACE_INFO: address family ${family} is neither AF_INET nor AF_INET6`);
  r.skip(4); // FlowInfo
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(((r.u8() << 8) | r.u8()).toString(16));
  return groups.join(':');
}

/**
 * NETWORK_INTERFACE_INFO entries, [MS-SMB2] 2.2.32.5: each Next must point past the entry it
 * ends (so the chain can neither loop nor overlap) and every entry must fit the output.
 * IPv6 addresses come back uncompressed (fe80:0:0:0:0:0:1:2).
 */
export function decodeNetworkInterfaceInfo(output: Buffer): DecodedNetworkInterface[] {
  const out: DecodedNetworkInterface[] = [];
  let start = 0;
  while (output.length > 0) {
    const r = new Reader(output).sub(start, NETWORK_INTERFACE_INFO_SIZE);
    const next = r.u32();
    const ifIndex = r.u32();
    const capability = r.u32();
    r.skip(4); // Reserved
    const speed = r.u64n();
    const address = readSockaddr(r.sub(r.offset, SOCKADDR_STORAGE_SIZE));
    out.push({
      ifIndex, address, speed,
      rdmaCapable: (capability & InterfaceCapability.RDMA_CAPABLE) !== 0,
      rssCapable: (capability & InterfaceCapability.RSS_CAPABLE) !== 0,
    });
    if (next === 0) break;
    if (next < NETWORK_INTERFACE_INFO_SIZE) throw new DecodeError(`NETWORK_INTERFACE_INFO: Next ${next} inside the entry`);
    start += next;
  }
  return out;
}
