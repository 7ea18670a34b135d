// Where test/vm/build-smb-modules.sh (run by prepare.sh) left the SMB Direct kit for the VM:
// cifs.ko and ksmbd.ko rebuilt with SMB Direct for the kernel the VM boots, and Debian's
// ksmbd-tools unpacked with dpkg -x. The guest sees the host's files at the same paths, so these
// go to the guest as SMB_MODULES_DIR and KSMBD_TOOLS_DIR (test/rdma/kernel-cifs/smb-direct.sh).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { preparedKernelRelease } from './vm.js';

export interface SmbDirectKit {
  /** Holds cifs.ko and ksmbd.ko for the prepared kernel release. */
  modulesDir: string;
  /** The dpkg -x tree of ksmbd-tools (usr/sbin/ksmbd.*) and, if the host lacks it, libnl-genl. */
  ksmbdToolsDir: string;
}

export function splicedUserCache(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'spliced');
}

/** The kit, or why it is missing. */
export function smbDirectKit(): SmbDirectKit | string {
  const store = splicedUserCache();
  let release: string;
  try {
    release = preparedKernelRelease();
  } catch {
    return 'the VM kernel is not prepared (run test/vm/prepare.sh)';
  }
  const modulesDir = join(store, 'smb-modules', release);
  for (const file of ['.complete', 'cifs.ko', 'ksmbd.ko']) {
    if (!existsSync(join(modulesDir, file))) return `no SMB Direct modules for ${release} in ${modulesDir} (run test/vm/prepare.sh)`;
  }
  const current = join(store, 'ksmbd-tools', 'current');
  const ksmbdToolsDir = existsSync(current) ? readFileSync(current, 'utf8').trim() : '';
  if (!ksmbdToolsDir || !existsSync(join(ksmbdToolsDir, 'usr', 'sbin', 'ksmbd.mountd'))) {
    return `no ksmbd-tools unpacked under ${join(store, 'ksmbd-tools')} (run test/vm/prepare.sh)`;
  }
  return { modulesDir, ksmbdToolsDir };
}

/** The guest environment for smb-direct.sh; empty values make its checks say what is missing. */
export function smbDirectGuestEnv(kit: SmbDirectKit | string): Record<string, string> {
  if (typeof kit === 'string') return { SMB_MODULES_DIR: '', KSMBD_TOOLS_DIR: '' };
  return { SMB_MODULES_DIR: kit.modulesDir, KSMBD_TOOLS_DIR: kit.ksmbdToolsDir };
}
