/**
 * The interface list FSCTL_QUERY_NETWORK_INTERFACE_INFO answers with ([MS-SMB2] 3.3.5.15.11):
 * the `interfaces` key's entries, with RDMA_CAPABLE only while SMB Direct is listening, on an
 * entry that says `capability=RDMA` or whose address belongs to a netdev carrying an RDMA
 * device. Without `interfaces` nothing is advertised: a non-empty list also announces
 * SMB2_GLOBAL_CAP_MULTI_CHANNEL in NEGOTIATE, which spliced does not offer on its own.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { InterfaceConfig } from '../server/options.js';
import type { RdmaDevice } from './rdma-devices.js';

export type LocalInterfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Addresses of the local interfaces that carry one of the devices. */
export function rdmaAddresses(devices: RdmaDevice[], local: LocalInterfaces): Set<string> {
  const out = new Set<string>();
  for (const netdev of new Set(devices.flatMap((d) => d.netdevs))) {
    for (const info of local[netdev] ?? []) out.add(info.address.toLowerCase());
  }
  return out;
}

/** `listening`: the devices SMB Direct serves on, or undefined when it is not listening. */
export function advertisedInterfaces(configured: InterfaceConfig[], listening: RdmaDevice[] | undefined, local: LocalInterfaces = networkInterfaces()): InterfaceConfig[] {
  if (!listening) return configured.map((i) => (i.rdmaCapable ? { ...i, rdmaCapable: false } : i));
  const carried = rdmaAddresses(listening, local);
  return configured.map((i) => (!i.rdmaCapable && carried.has(i.address.toLowerCase()) ? { ...i, rdmaCapable: true } : i));
}
