import { benchShareSection, serverProcess, type ServerProcess } from './child.js';
import { spawnSmbd, writePrivateSambaConfig } from '../../support/samba.js';

export { sambaAvailable } from '../../support/samba.js';

/** A throwaway Samba smbd serving one read-only guest share on a private port: the benchmark anchor. */
export type SambaInstance = ServerProcess;

/** `writable`: the share takes writes (its directory must let the guest account write). */
export async function startSamba(workDir: string, sharePath: string, port: number, writable = false): Promise<SambaInstance> {
  const conf = writePrivateSambaConfig(workDir, port, ['map to guest = Bad User', 'server min protocol = SMB2_02'], benchShareSection(sharePath, writable));
  return serverProcess(spawnSmbd(conf), port, 15_000);
}
