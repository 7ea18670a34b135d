import { Writer } from '../../wire/writer.js';
import { DecodeError } from '../../wire/decode-error.js';
import type { FileRecord } from './file-record.js';
import { FileInfoClass } from './classes.js';
import { Status } from '../status.js';
import { setU64Words } from './filetime-words.js';
import { wireAttributes } from './record-fields.js';
import { isShortName, shortNameOf } from './short-name.js';

/**
 * One entry to encode. A listing fills one object in place per entry: numbers only, so the hot
 * path makes no bigint and no per-entry Buffer.
 */
export class DirectoryEntry {
  name = '';
  /** EndOfFile in bytes. */
  size = 0;
  allocationSize = 0;
  /** FILE_ATTRIBUTE_* flags, [MS-FSCC] 2.6 (an empty set is sent as NORMAL). */
  attributes = 0;
  /** CreationTime, LastAccessTime, LastWriteTime, ChangeTime (FILETIMEs) and FileId, each as low, high words (EntryWord). */
  readonly words = new Uint32Array(10);
}

/** Where each 64-bit field of a DirectoryEntry sits in its `words`. */
export const EntryWord = { CREATION: 0, LAST_ACCESS: 2, LAST_WRITE: 4, CHANGE: 6, FILE_ID: 8 } as const;

/** A FileRecord as a DirectoryEntry (into `entry`, reused). */
export function entryFromRecord(rec: FileRecord, entry = new DirectoryEntry()): DirectoryEntry {
  entry.name = rec.name;
  entry.size = rec.size;
  entry.allocationSize = rec.allocationSize;
  entry.attributes = rec.attributes;
  setU64Words(entry.words, EntryWord.CREATION, rec.creationTime);
  setU64Words(entry.words, EntryWord.LAST_ACCESS, rec.lastAccessTime);
  setU64Words(entry.words, EntryWord.LAST_WRITE, rec.lastWriteTime);
  setU64Words(entry.words, EntryWord.CHANGE, rec.changeTime);
  setU64Words(entry.words, EntryWord.FILE_ID, rec.fileId);
  return entry;
}

/**
 * One directory information class: the size of its fixed part (NextEntryOffset up to
 * FileName) and how to write everything after NextEntryOffset except the name itself.
 */
interface DirectoryLayout {
  fixedSize: number;
  writeFixed(w: Writer, e: DirectoryEntry, nameLength: number): void;
}

/** ShortName is a fixed 12-WCHAR field, [MS-FSCC] 2.4 FileBothDirectoryInformation. */
const SHORT_NAME_BYTES = 24;
/** Entries in a directory listing are 8-byte aligned, [MS-FSCC] 2.4 (each directory class). */
const ENTRY_ALIGNMENT = 8;
const TWO_32 = 0x1_0000_0000;

function u64Words(w: Writer, words: Uint32Array, slot: number): void {
  w.u32(words[slot]!).u32(words[slot + 1]!);
}

/** A u64 that fits a double exactly (sizes), without a bigint. */
function u64Number(w: Writer, v: number): void {
  const high = Math.floor(v / TWO_32);
  w.u32(v - high * TWO_32).u32(high);
}

/** FileIndex .. FileAttributes: shared by every class but FileNamesInformation. */
function writeCore(w: Writer, e: DirectoryEntry): void {
  w.u32(0); // FileIndex: undefined for NTFS-like stores, sent as 0
  u64Words(w, e.words, EntryWord.CREATION);
  u64Words(w, e.words, EntryWord.LAST_ACCESS);
  u64Words(w, e.words, EntryWord.LAST_WRITE);
  u64Words(w, e.words, EntryWord.CHANGE);
  u64Number(w, e.size);
  u64Number(w, e.allocationSize);
  w.u32(wireAttributes(e));
}

/**
 * EaSize, ShortNameLength, Reserved, ShortName: for a name not of 8.3 form, the generated 8.3 name
 * FileAlternateNameInformation reports; none for 8.3 names, '.' and '..' (as Samba lists them).
 * EaSize stays 0: a listing does not read each entry's EAs.
 */
function writeShortName(w: Writer, name: string): void {
  const short = name === '.' || name === '..' || isShortName(name) ? '' : shortNameOf(name);
  w.u32(0).u8(short.length * 2).u8(0).utf16(short);
  // u16 zeros rather than zeros(n): Buffer.fill costs more than the writes for so few bytes.
  for (let i = short.length * 2; i < SHORT_NAME_BYTES; i += 2) w.u16(0);
}

const layouts: Record<number, DirectoryLayout> = {
  // [MS-FSCC] 2.4 FileDirectoryInformation
  [FileInfoClass.FileDirectoryInformation]: {
    fixedSize: 64,
    writeFixed: (w, e, n) => {
      writeCore(w, e);
      w.u32(n);
    },
  },
  // [MS-FSCC] 2.4 FileFullDirectoryInformation
  [FileInfoClass.FileFullDirectoryInformation]: {
    fixedSize: 68,
    writeFixed: (w, e, n) => {
      writeCore(w, e);
      w.u32(n).u32(0);
    },
  },
  // [MS-FSCC] 2.4 FileBothDirectoryInformation
  [FileInfoClass.FileBothDirectoryInformation]: {
    fixedSize: 94,
    writeFixed: (w, e, n) => {
      writeCore(w, e);
      w.u32(n);
      writeShortName(w, e.name);
    },
  },
  // [MS-FSCC] 2.4 FileNamesInformation
  [FileInfoClass.FileNamesInformation]: {
    fixedSize: 12,
    writeFixed: (w, _e, n) => {
      w.u32(0).u32(n);
    },
  },
  // [MS-FSCC] 2.4 FileIdBothDirectoryInformation
  [FileInfoClass.FileIdBothDirectoryInformation]: {
    fixedSize: 104,
    writeFixed: (w, e, n) => {
      writeCore(w, e);
      w.u32(n);
      writeShortName(w, e.name);
      w.u16(0); // Reserved2
      u64Words(w, e.words, EntryWord.FILE_ID);
    },
  },
  // [MS-FSCC] 2.4 FileIdFullDirectoryInformation
  [FileInfoClass.FileIdFullDirectoryInformation]: {
    fixedSize: 80,
    writeFixed: (w, e, n) => {
      writeCore(w, e);
      w.u32(n).u32(0).u32(0); // EaSize, Reserved
      u64Words(w, e.words, EntryWord.FILE_ID);
    },
  },
  // [MS-FSCC] 2.4 FileIdExtdDirectoryInformation
  [FileInfoClass.FileIdExtdDirectoryInformation]: {
    fixedSize: 88,
    writeFixed: (w, e, n) => {
      writeCore(w, e);
      w.u32(n).u32(0).u32(0); // EaSize, ReparsePointTag
      u64Words(w, e.words, EntryWord.FILE_ID); // FileId: FILE_ID_128 ([MS-FSCC] 2.1.10), the 64-bit id widened
      w.u32(0).u32(0);
    },
  },
};

/** True for the classes QUERY_DIRECTORY accepts here, [MS-SMB2] 2.2.33. */
export function isDirectoryInfoClass(infoClass: number): boolean {
  return infoClass in layouts;
}

/** Bytes one entry takes (without the alignment padding that precedes a following entry). */
export function directoryEntrySize(infoClass: number, name: string): number {
  return layoutFor(infoClass).fixedSize + name.length * 2;
}

function layoutFor(infoClass: number): DirectoryLayout {
  const layout = layouts[infoClass];
  if (!layout) throw new DecodeError(`directory info class ${infoClass} not supported`, Status.INVALID_INFO_CLASS);
  return layout;
}

/**
 * Packs whole entries into `w` (from where it stands) up to maxBytes, [MS-SMB2] 3.3.5.18: each
 * entry starts on an 8-byte boundary, NextEntryOffset chains them, the last has 0 and no
 * padding follows it. With singleEntry, one entry at most.
 */
export class DirectoryEntryWriter {
  private readonly layout: DirectoryLayout;
  private readonly start: number;
  private previousNext = -1;
  private previousStart = 0;
  /** Entries written. */
  count = 0;

  constructor(
    private readonly w: Writer,
    infoClass: number,
    private readonly maxBytes: number,
    private readonly singleEntry: boolean,
  ) {
    this.layout = layoutFor(infoClass);
    this.start = w.length;
  }

  /** No further entry can be taken (the single one is written, or the buffer is full). */
  get full(): boolean {
    return (this.singleEntry && this.count > 0) || this.w.length - this.start + this.layout.fixedSize > this.maxBytes;
  }

  /** At most how many more entries whose names average `nameUnits` UTF-16 units fit (an estimate for reading ahead). */
  roomFor(nameUnits: number): number {
    if (this.singleEntry) return this.count > 0 ? 0 : 1;
    const per = Math.ceil((this.layout.fixedSize + 2 * nameUnits) / ENTRY_ALIGNMENT) * ENTRY_ALIGNMENT;
    return Math.max(0, Math.floor((this.maxBytes - (this.w.length - this.start)) / per) + 1);
  }

  /** Writes `e` if it fits; false, with nothing written, if it does not (or the single entry is done). */
  add(e: DirectoryEntry): boolean {
    if (this.singleEntry && this.count > 0) return false;
    const used = this.w.length - this.start;
    const padding = this.count === 0 ? 0 : (ENTRY_ALIGNMENT - (used % ENTRY_ALIGNMENT)) % ENTRY_ALIGNMENT;
    const nameLength = e.name.length * 2;
    if (used + padding + this.layout.fixedSize + nameLength > this.maxBytes) return false;
    if (this.count > 0) {
      this.w.zeros(padding);
      this.w.fillU32(this.previousNext, this.w.length - this.previousStart);
    }
    this.previousStart = this.w.length;
    this.previousNext = this.w.reserveU32();
    this.layout.writeFixed(this.w, e, nameLength);
    this.w.utf16(e.name);
    this.count++;
    return true;
  }
}

/**
 * Packs as many of `entries` as fit in maxBytes into a buffer of their own (see
 * DirectoryEntryWriter). count is the number of entries consumed; 0 means even the first did not fit.
 */
export function encodeDirectoryEntries(
  infoClass: number,
  entries: FileRecord[],
  maxBytes: number,
  singleEntry: boolean,
): { buffer: Buffer; count: number } {
  const w = new Writer(0, 1024);
  const out = new DirectoryEntryWriter(w, infoClass, maxBytes, singleEntry);
  const entry = new DirectoryEntry();
  for (const rec of entries) if (!out.add(entryFromRecord(rec, entry))) break;
  return { buffer: w.finish(), count: out.count };
}
