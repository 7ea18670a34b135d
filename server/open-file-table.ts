/**
 * Opens per file across all connections, keyed by file identity (device:inode), with the file's
 * delete-pending flag. [MS-FSA] 2.1.5.4: closing an open with DeleteOnClose marks the file
 * delete-pending, and the file goes away when its last open closes; until then the other
 * handles keep working (the Linux client stats the name while it reads through its handle),
 * and new opens fail with STATUS_DELETE_PENDING ([MS-FSA] 2.1.5.1.2).
 */
interface FileEntry {
  opens: number;
  deletePending: boolean;
}

export class OpenFileTable {
  private readonly byFile = new Map<string, FileEntry>();

  opened(fileKey: string): void {
    const entry = this.byFile.get(fileKey);
    if (entry) entry.opens++;
    else this.byFile.set(fileKey, { opens: 1, deletePending: false });
  }

  isDeletePending(fileKey: string): boolean {
    return this.byFile.get(fileKey)?.deletePending ?? false;
  }

  /** FileDispositionInformation sets or clears the file's delete-pending flag at once ([MS-FSA] 2.1.5.14.3); new opens then get DELETE_PENDING. */
  setDeletePending(fileKey: string, pending: boolean): void {
    const entry = this.byFile.get(fileKey);
    if (entry) entry.deletePending = pending;
  }

  /** One open of the file closed; true when it was the last one and the file must be deleted now. */
  closed(fileKey: string, deleteOnClose: boolean): boolean {
    const entry = this.byFile.get(fileKey);
    if (!entry) return deleteOnClose;
    if (deleteOnClose) entry.deletePending = true;
    if (--entry.opens > 0) return false;
    this.byFile.delete(fileKey);
    return entry.deletePending;
  }
}
