import { Writer } from '../../wire/writer.js';
import { DecodeError } from '../../wire/decode-error.js';
import type { FileRecord } from './file-record.js';
import { FileInfoClass } from './classes.js';
import { Status } from '../status.js';
import { wireAttributes, writeFileId128, writeTimes } from './record-fields.js';

/**
 * One directory information class: the size of its fixed part (NextEntryOffset up to
 * FileName) and how to write everything after NextEntryOffset except the name itself.
 */
interface DirectoryLayout {
  fixedSize: number;
  writeFixed(w: Writer, rec: FileRecord, nameLength: number): void;
}

/** ShortName is a fixed 12-WCHAR field, [MS-FSCC] 2.4 FileBothDirectoryInformation. */
const SHORT_NAME_BYTES = 24;
/** Entries in a directory listing are 8-byte aligned, [MS-FSCC] 2.4 (each directory class). */
const ENTRY_ALIGNMENT = 8;

/** FileIndex .. FileAttributes: shared by every class but FileNamesInformation. */
function writeCore(w: Writer, rec: FileRecord): void {
  w.u32(0); // FileIndex: undefined for NTFS-like stores, sent as 0
  writeTimes(w, rec);
  w.u64(rec.size).u64(rec.allocationSize).u32(wireAttributes(rec));
}

/** EaSize, ShortNameLength, Reserved, ShortName: we keep no EAs and no 8.3 names. */
function writeNoShortName(w: Writer): void {
  w.u32(0).u8(0).u8(0).zeros(SHORT_NAME_BYTES);
}

const layouts: Record<number, DirectoryLayout> = {
  // [MS-FSCC] 2.4 FileDirectoryInformation
  [FileInfoClass.FileDirectoryInformation]: {
    fixedSize: 64,
    writeFixed: (w, rec, n) => {
      writeCore(w, rec);
      w.u32(n);
    },
  },
  // [MS-FSCC] 2.4 FileFullDirectoryInformation
  [FileInfoClass.FileFullDirectoryInformation]: {
    fixedSize: 68,
    writeFixed: (w, rec, n) => {
      writeCore(w, rec);
      w.u32(n).u32(0);
    },
  },
  // [MS-FSCC] 2.4 FileBothDirectoryInformation
  [FileInfoClass.FileBothDirectoryInformation]: {
    fixedSize: 94,
    writeFixed: (w, rec, n) => {
      writeCore(w, rec);
      w.u32(n);
      writeNoShortName(w);
    },
  },
  // [MS-FSCC] 2.4 FileNamesInformation
  [FileInfoClass.FileNamesInformation]: {
    fixedSize: 12,
    writeFixed: (w, _rec, n) => {
      w.u32(0).u32(n);
    },
  },
  // [MS-FSCC] 2.4 FileIdBothDirectoryInformation
  [FileInfoClass.FileIdBothDirectoryInformation]: {
    fixedSize: 104,
    writeFixed: (w, rec, n) => {
      writeCore(w, rec);
      w.u32(n);
      writeNoShortName(w);
      w.u16(0).u64(rec.fileId); // Reserved2, FileId
    },
  },
  // [MS-FSCC] 2.4 FileIdFullDirectoryInformation
  [FileInfoClass.FileIdFullDirectoryInformation]: {
    fixedSize: 80,
    writeFixed: (w, rec, n) => {
      writeCore(w, rec);
      w.u32(n).u32(0).u32(0).u64(rec.fileId); // EaSize, Reserved, FileId
    },
  },
  // [MS-FSCC] 2.4 FileIdExtdDirectoryInformation
  [FileInfoClass.FileIdExtdDirectoryInformation]: {
    fixedSize: 88,
    writeFixed: (w, rec, n) => {
      writeCore(w, rec);
      w.u32(n).u32(0).u32(0); // EaSize, ReparsePointTag
      writeFileId128(w, rec.fileId);
    },
  },
};

/** True for the classes QUERY_DIRECTORY accepts here, [MS-SMB2] 2.2.33. */
export function isDirectoryInfoClass(infoClass: number): boolean {
  return infoClass in layouts;
}

/** Bytes one entry takes (without the alignment padding that precedes a following entry). */
export function directoryEntrySize(infoClass: number, name: string): number {
  return layoutFor(infoClass).fixedSize + Buffer.byteLength(name, 'utf16le');
}

function layoutFor(infoClass: number): DirectoryLayout {
  const layout = layouts[infoClass];
  if (!layout) throw new DecodeError(`directory info class ${infoClass} not supported`, Status.INVALID_INFO_CLASS);
  return layout;
}

/**
 * Packs as many whole entries as fit in maxBytes, [MS-SMB2] 3.3.5.18: each entry starts on an
 * 8-byte boundary, NextEntryOffset chains them, the last has 0 and no padding follows it.
 * count is the number of entries consumed; 0 means even the first did not fit.
 */
export function encodeDirectoryEntries(
  infoClass: number,
  entries: FileRecord[],
  maxBytes: number,
  singleEntry: boolean,
): { buffer: Buffer; count: number } {
  const layout = layoutFor(infoClass);
  const w = new Writer(0, 1024);
  let count = 0;
  let previousNext = -1;
  let previousStart = 0;
  for (const rec of entries) {
    const name = Buffer.from(rec.name, 'utf16le');
    const padding = count === 0 ? 0 : (ENTRY_ALIGNMENT - (w.length % ENTRY_ALIGNMENT)) % ENTRY_ALIGNMENT;
    if (w.length + padding + layout.fixedSize + name.length > maxBytes) break;
    if (count > 0) {
      w.align(ENTRY_ALIGNMENT);
      w.fillU32(previousNext, w.length - previousStart);
    }
    previousStart = w.length;
    previousNext = w.reserveU32();
    layout.writeFixed(w, rec, name.length);
    w.bytes(name);
    count++;
    if (singleEntry) break;
  }
  return { buffer: w.finish(), count };
}
