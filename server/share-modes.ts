import { Access, ShareAccess } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';

interface Holder {
  access: number;
  share: number;
}

const READ_BITS = Access.FILE_READ_DATA | Access.FILE_EXECUTE;
const WRITE_BITS = Access.FILE_WRITE_DATA | Access.FILE_APPEND_DATA;
const DELETE_BITS = Access.DELETE;

/** Only opens that touch data or may delete take part in sharing, [MS-FSA] 2.1.5.1.2. */
function relevant(access: number): boolean {
  return (access & (READ_BITS | WRITE_BITS | DELETE_BITS)) !== 0;
}

function conflicts(a: Holder, b: Holder): boolean {
  const denies = (x: Holder, y: Holder) =>
    ((x.access & READ_BITS) !== 0 && (y.share & ShareAccess.READ) === 0) ||
    ((x.access & WRITE_BITS) !== 0 && (y.share & ShareAccess.WRITE) === 0) ||
    ((x.access & DELETE_BITS) !== 0 && (y.share & ShareAccess.DELETE) === 0);
  return denies(a, b) || denies(b, a);
}

/**
 * Share modes of open files across all connections, keyed by file identity (device and
 * inode, so renames keep the key), [MS-FSA] 2.1.5.1.2 "Check sharing access".
 */
export class ShareModeTable {
  private readonly byFile = new Map<string, Set<Holder>>();

  /** Whether an open with this access and share mode would get STATUS_SHARING_VIOLATION now (oplock breaks depend on it, [MS-FSA] 2.1.5.1.2). */
  wouldConflict(fileKey: string, access: number, share: number): boolean {
    if (!relevant(access)) return false;
    const holder = { access, share };
    for (const h of this.byFile.get(fileKey) ?? []) if (conflicts(h, holder)) return true;
    return false;
  }

  /** Register an open, or throw STATUS_SHARING_VIOLATION; returns the release function. */
  acquire(fileKey: string, access: number, share: number): () => void {
    const holder = { access, share };
    if (!relevant(access)) return () => {};
    const holders = this.byFile.get(fileKey) ?? new Set<Holder>();
    for (const h of holders) if (conflicts(h, holder)) throw new SmbStatusError(Status.SHARING_VIOLATION);
    holders.add(holder);
    this.byFile.set(fileKey, holders);
    return () => {
      holders.delete(holder);
      if (holders.size === 0 && this.byFile.get(fileKey) === holders) this.byFile.delete(fileKey);
    };
  }
}
