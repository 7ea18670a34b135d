/**
 * Which RDMA devices this host has (the rdma addon's device list) and which network
 * interfaces carry them, from sysfs. Three sources, because no single one covers every kind
 * of device, and their union is taken:
 * - `/sys/class/infiniband/<dev>/parent`: the netdev of a software device (rxe, siw);
 * - `/sys/class/infiniband/<dev>/ports/<n>/gid_attrs/ndevs/<i>`: the netdev of each RoCE GID;
 * - `/sys/class/infiniband/<dev>/device/net/<netdev>`: netdevs of the same PCI function
 *   (iWARP and RoCE NICs, IPoIB).
 * The file system is injected so tests build a fake tree.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { listRdmaDevices, loadRdmaBinding, type RdmaBinding } from '../native/index.js';

/** The two reads this module does, relative to a sysfs root. */
export interface SysfsReader {
  /** Entry names of a directory; none when it is absent or unreadable. */
  list(path: string): string[];
  /** A file's text without the trailing newline; undefined when it is absent or unreadable (an unset GID's ndev gives EINVAL). */
  read(path: string): string | undefined;
}

export function sysfsAt(root = '/sys'): SysfsReader {
  return {
    list(path) {
      try {
        return readdirSync(join(root, path));
      } catch {
        return [];
      }
    },
    read(path) {
      try {
        return readFileSync(join(root, path), 'utf8').trim();
      } catch {
        return undefined;
      }
    },
  };
}

export interface RdmaDevice {
  /** ibv device name, e.g. rxe0 or mlx5_0. */
  name: string;
  /** Network interfaces it runs over (empty when sysfs says nothing, e.g. plain IB without IPoIB). */
  netdevs: string[];
}

/** The netdevs one RDMA device runs over, sorted. */
export function netdevsOf(device: string, sys: SysfsReader): string[] {
  const base = `class/infiniband/${device}`;
  const found = new Set<string>();
  const parent = sys.read(`${base}/parent`);
  if (parent) found.add(parent);
  for (const port of sys.list(`${base}/ports`)) {
    const ndevs = `${base}/ports/${port}/gid_attrs/ndevs`;
    for (const index of sys.list(ndevs)) {
      const name = sys.read(`${ndevs}/${index}`);
      if (name) found.add(name);
    }
  }
  for (const name of sys.list(`${base}/device/net`)) found.add(name);
  return [...found].sort();
}

/** Link speed of a netdev in bits per second (`/sys/class/net/<if>/speed` is Mbit/s; -1 or absent when unknown). */
export function linkSpeedOf(netdev: string, sys: SysfsReader): number | undefined {
  const mbits = Number(sys.read(`class/net/${netdev}/speed`));
  return Number.isInteger(mbits) && mbits > 0 ? mbits * 1_000_000 : undefined;
}

/** The devices and their netdevs, or the one line saying why there are none. */
export type RdmaProbe = { devices: RdmaDevice[] } | { error: string };

export interface ProbeDeps {
  load?: () => { binding: RdmaBinding } | { error: string };
  sysfs?: SysfsReader;
}

export function probeRdma(deps: ProbeDeps = {}): RdmaProbe {
  const loaded = (deps.load ?? (() => loadRdmaBinding({ requireDevice: true })))();
  if ('error' in loaded) return { error: loaded.error };
  let names: string[];
  try {
    names = listRdmaDevices(loaded.binding);
  } catch (err) {
    return { error: `cannot list RDMA devices: ${(err as Error).message.split('\n')[0]}` };
  }
  if (names.length === 0) return { error: 'no RDMA device (e.g. modprobe rdma_rxe; rdma link add rxe0 type rxe netdev eth0)' };
  const sys = deps.sysfs ?? sysfsAt();
  return { devices: names.map((name) => ({ name, netdevs: netdevsOf(name, sys) })) };
}
