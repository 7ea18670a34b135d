// Loads the spliced_rdma addon. The server calls loadRdmaBinding() once and, on error, logs
// "SMB Direct disabled: <error>" and serves over TCP only.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { addonCandidates } from './addon-path.js';
import type { RdmaBinding } from './binding.js';

export type * from './binding.js';
export * from './constants.js';

export const RDMA_APT_LINE = 'apt-get install libibverbs-dev librdmacm-dev';

export interface LoadOptions {
  /** Also fail when the addon loads but the host has no RDMA device. */
  requireDevice?: boolean;
}

/** The addon, or one line saying why SMB Direct cannot run here. */
export function loadRdmaBinding(options: LoadOptions = {}): { binding: RdmaBinding } | { error: string } {
  const path = addonCandidates('spliced_rdma.node', 'SPLICED_RDMA_ADDON', import.meta.url).find((p) => existsSync(p));
  if (!path) {
    return { error: `the RDMA addon is not built (${RDMA_APT_LINE}, then npm run build:native)` };
  }
  let binding: RdmaBinding;
  try {
    binding = createRequire(import.meta.url)(path) as RdmaBinding;
  } catch (err) {
    return { error: `cannot load the RDMA addon ${path}: ${String((err as Error).message).split('\n')[0]}` };
  }
  if (options.requireDevice && listRdmaDevices(binding).length === 0) {
    return { error: 'no RDMA device (e.g. modprobe rdma_rxe; rdma link add rxe0 type rxe netdev eth0)' };
  }
  return { binding };
}

/** Device names, or none when the kernel has no RDMA support at all. */
export function listRdmaDevices(binding: RdmaBinding): string[] {
  try {
    return binding.getDeviceNames();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOSYS' || code === 'ENODEV' || code === 'ENOENT') return [];
    throw err;
  }
}
