import { chmodSync, fchmodSync } from 'node:fs';
import { CreateAction } from '../smb2/constants.js';
import { FileAttribute, allocationFor } from '../smb2/info/index.js';
import type { CreateContext } from '../smb2/commands/create.js';
import type { HostStats } from './host-fs.js';
import { statHeld } from './create-file.js';
import { descriptorPath, errnoCode } from './share-root.js';

/** Every write permission bit: READONLY takes them all away, as SET_INFO does (`chmod a-w`). */
const ANY_WRITE = 0o222;

/**
 * FileAttributes of a CREATE that made a new file ([MS-FSA] 2.1.5.1.1): only READONLY is
 * stored, in the mode bits (smb2/info/from-stats.ts), after the handle's descriptors were opened,
 * so the creating open keeps the write access it asked for. Returns the file's stats after it.
 */
export function applyCreateAttributes(fd: number, action: number, fileAttributes: number, stats: HostStats): HostStats {
  if (action !== CreateAction.CREATED || stats.isDirectory() || !(fileAttributes & FileAttribute.READONLY)) return stats;
  const mode = Number(stats.mode) & 0o7777 & ~ANY_WRITE;
  try {
    fchmodSync(fd, mode);
  } catch (err) {
    if (errnoCode(err) !== 'EBADF') throw err;
    chmodSync(descriptorPath(fd), mode); // an O_PATH handle: its /proc path names the same inode
  }
  return statHeld(fd);
}

/** SMB2_CREATE_ALLOCATION_SIZE, [MS-SMB2] 2.2.13.2.6: AllocationSize (8 bytes). */
const ALLOCATION_SIZE_CONTEXT = 'AlSi';

/**
 * The AllocationSize a CREATE that made or overwrote a file asked for (AlSi), in allocation
 * units; 0 when none. The open reports at least this much allocated, as Samba does with its
 * initial allocation size, without reserving disk space.
 */
export function initialAllocationOf(action: number, isDirectory: boolean, contexts: CreateContext[]): number {
  if (action === CreateAction.OPENED || isDirectory) return 0; // a directory reports none (smbtorture smb2.create.dir-alloc-size)
  const data = contexts.find((c) => c.name === ALLOCATION_SIZE_CONTEXT)?.data;
  if (!data || data.length < 8) return 0;
  const asked = data.readBigUInt64LE(0);
  return asked > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : allocationFor(Number(asked));
}
