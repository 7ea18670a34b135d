import type { FileRecord } from '../smb2/info/index.js';
import { wireAttributes } from '../smb2/info/record-fields.js';
import type { OpenAttributes } from '../smb2/commands/open-attributes.js';

/** The attributes CREATE and CLOSE (POSTQUERY_ATTRIB) report for a file. */
export function openAttributesOf(rec: FileRecord): OpenAttributes {
  return {
    creationTime: rec.creationTime,
    lastAccessTime: rec.lastAccessTime,
    lastWriteTime: rec.lastWriteTime,
    changeTime: rec.changeTime,
    allocationSize: BigInt(rec.allocationSize),
    endOfFile: BigInt(rec.size),
    fileAttributes: wireAttributes(rec),
  };
}
