/**
 * The `interfaces` parameter, Samba style: items are interface names or IP addresses,
 * each optionally followed by `;capability=RDMA,capability=RSS,speed=N` (bits/s).
 * Those become the entries of FSCTL_QUERY_NETWORK_INTERFACE_INFO ([MS-SMB2] 2.2.32.5).
 */
import { isIP } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { InterfaceConfig } from '../server/options.js';
import { ConfigError, ERROR_CODES } from './errors.js';
import { parseList, type Where } from './config-values.js';

/** Samba's default when no speed is given: 1 Gbit/s. */
export const DEFAULT_INTERFACE_SPEED = 1_000_000_000;

const OPTION_NAMES = ['capability', 'speed', 'if_index'] as const;

/** Rejoin `speed=N` items that a comma split off an unquoted `eth0;capability=RDMA,speed=N`. */
function groupItems(value: string): string[] {
  const out: string[] = [];
  for (const item of parseList(value)) {
    const isOption = OPTION_NAMES.some((o) => item.toLowerCase().startsWith(`${o}=`));
    if (isOption && out.length > 0 && out[out.length - 1]!.includes(';')) out[out.length - 1] += `,${item}`;
    else out.push(item);
  }
  return out;
}

interface InterfaceOptions {
  speed: number;
  rdmaCapable: boolean;
  rssCapable: boolean;
}

function parseOptions(text: string, item: string, at: Where): InterfaceOptions {
  const opts: InterfaceOptions = { speed: DEFAULT_INTERFACE_SPEED, rdmaCapable: false, rssCapable: false };
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [rawKey, rawValue = ''] = part.split('=', 2) as [string, string?];
    const key = rawKey.trim().toLowerCase();
    const value = rawValue.trim();
    if (key === 'capability' && /^rdma$/i.test(value)) opts.rdmaCapable = true;
    else if (key === 'capability' && /^rss$/i.test(value)) opts.rssCapable = true;
    else if (key === 'speed' && /^\d+$/.test(value) && Number(value) > 0) opts.speed = Number(value);
    else if (key === 'if_index' && /^\d+$/.test(value)) continue;
    else {
      throw new ConfigError(
        ERROR_CODES.CONFIG_INTERFACE,
        at.file,
        at.line,
        `bad interface option "${part.trim()}" in "${item}" (capability=RDMA, capability=RSS, speed=BITS_PER_SECOND)`,
      );
    }
  }
  return opts;
}

function usableAddresses(infos: NetworkInterfaceInfo[]): string[] {
  return infos.filter((i) => !(i.family === 'IPv6' && i.address.startsWith('fe80:'))).map((i) => i.address);
}

function resolveAddresses(name: string, item: string, at: Where): string[] {
  if (isIP(name)) return [name];
  const infos = networkInterfaces()[name];
  const addresses = infos ? usableAddresses(infos) : [];
  if (addresses.length > 0) return addresses;
  const known = Object.keys(networkInterfaces()).join(', ');
  throw new ConfigError(
    ERROR_CODES.CONFIG_INTERFACE,
    at.file,
    at.line,
    `interface "${name}" in "${item}" is neither an IP address nor a local interface with an address (local: ${known})`,
  );
}

export function parseInterfaces(value: string, at: Where): InterfaceConfig[] {
  const result: InterfaceConfig[] = [];
  for (const item of groupItems(value)) {
    const semi = item.indexOf(';');
    const name = semi < 0 ? item : item.slice(0, semi);
    const opts = parseOptions(semi < 0 ? '' : item.slice(semi + 1), item, at);
    for (const address of resolveAddresses(name.trim(), item, at)) result.push({ address, ...opts });
  }
  return result;
}

export function formatInterface(i: InterfaceConfig): string {
  const caps = [i.rdmaCapable ? 'capability=RDMA' : '', i.rssCapable ? 'capability=RSS' : ''].filter(Boolean);
  return `"${[i.address, [...caps, `speed=${i.speed}`].join(',')].join(';')}"`;
}
