import type { Writer } from '../../wire/writer.js';
import type { FileRecord } from './file-record.js';
import { FileAttribute } from './classes.js';

/** FileAttributes as sent: an empty set reads FILE_ATTRIBUTE_NORMAL, [MS-FSCC] 2.6. */
export function wireAttributes(rec: Pick<FileRecord, 'attributes'>): number {
  return rec.attributes === 0 ? FileAttribute.NORMAL : rec.attributes;
}

/** CreationTime, LastAccessTime, LastWriteTime, ChangeTime: the order every class uses. */
export function writeTimes(w: Writer, rec: FileRecord): void {
  w.u64(rec.creationTime).u64(rec.lastAccessTime).u64(rec.lastWriteTime).u64(rec.changeTime);
}

/** A 64-bit file id widened to the 128-bit FILE_ID_128 of [MS-FSCC] 2.1.10 (little-endian). */
export function writeFileId128(w: Writer, fileId: bigint): void {
  w.u64(fileId).u64(0n);
}
