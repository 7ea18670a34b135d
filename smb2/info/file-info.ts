import { Writer } from '../../wire/writer.js';
import { DecodeError } from '../../wire/decode-error.js';
import type { FileRecord } from './file-record.js';
import { FileInfoClass, isKnownFileInfoClass } from './classes.js';
import { Status } from '../status.js';
import { wireAttributes, writeFileId128, writeTimes } from './record-fields.js';
import { shortNameOf } from './short-name.js';
import { eaListSize, encodeEaList, type ExtendedAttribute } from './extended-attributes.js';

/** Per-open facts the file information classes report besides the FileRecord. */
export interface FileInfoContext {
  /** CurrentByteOffset, [MS-FSCC] 2.4 FilePositionInformation. */
  position: number;
  /** Mode (FILE_WRITE_THROUGH, FILE_SEQUENTIAL_ONLY, ...), [MS-FSCC] 2.4 FileModeInformation. */
  mode: number;
  /** The open's granted access, [MS-FSCC] 2.4 FileAccessInformation. */
  accessMask: number;
  deletePending: boolean;
  /**
   * Share-relative path with backslashes, for FileNameInformation/FileAllInformation (sent with
   * one leading backslash) and FileNormalizedNameInformation (sent without). A leading backslash
   * here is optional; '' or '\' is the share root.
   */
  shareRelativePath: string;
  /** VolumeSerialNumber for FileIdInformation; 0 when omitted. */
  volumeSerialNumber?: number | bigint;
  /** The file's EAs, for FileEaInformation, FileAllInformation and FileFullEaInformation; none when omitted. */
  eas?: readonly ExtendedAttribute[];
}

/** The stream every regular file has, [MS-FSCC] 2.4 FileStreamInformation. */
const DEFAULT_DATA_STREAM = '::$DATA';

type FileInfoWriter = (w: Writer, rec: FileRecord, ctx: FileInfoContext) => void;

function relativePath(ctx: FileInfoContext): string {
  return ctx.shareRelativePath.replace(/^\\+/, '');
}

function writeName(w: Writer, name: string): void {
  const bytes = Buffer.from(name, 'utf16le');
  w.u32(bytes.length).bytes(bytes);
}

const writeBasic: FileInfoWriter = (w, rec) => {
  writeTimes(w, rec);
  w.u32(wireAttributes(rec)).u32(0);
};

const writeStandard: FileInfoWriter = (w, rec, ctx) => {
  w.u64(rec.allocationSize).u64(rec.size).u32(rec.links);
  w.u8(ctx.deletePending ? 1 : 0).u8(rec.isDirectory ? 1 : 0).u16(0);
};

const writeInternal: FileInfoWriter = (w, rec) => void w.u64(rec.fileId);
const writeEa: FileInfoWriter = (w, _rec, ctx) => void w.u32(eaListSize(ctx.eas ?? []));
const writeAccess: FileInfoWriter = (w, _rec, ctx) => void w.u32(ctx.accessMask);
const writePosition: FileInfoWriter = (w, _rec, ctx) => void w.u64(ctx.position);
const writeMode: FileInfoWriter = (w, _rec, ctx) => void w.u32(ctx.mode);
/** FILE_BYTE_ALIGNMENT: no alignment requirement, [MS-FSCC] 2.4 FileAlignmentInformation. */
const writeAlignment: FileInfoWriter = (w) => void w.u32(0);
const writeFullName: FileInfoWriter = (w, _rec, ctx) => writeName(w, '\\' + relativePath(ctx));

const writers: Record<number, FileInfoWriter> = {
  [FileInfoClass.FileBasicInformation]: writeBasic,
  [FileInfoClass.FileStandardInformation]: writeStandard,
  [FileInfoClass.FileInternalInformation]: writeInternal,
  [FileInfoClass.FileEaInformation]: writeEa,
  [FileInfoClass.FileAccessInformation]: writeAccess,
  [FileInfoClass.FileNameInformation]: writeFullName,
  [FileInfoClass.FilePositionInformation]: writePosition,
  [FileInfoClass.FileModeInformation]: writeMode,
  [FileInfoClass.FileAlignmentInformation]: writeAlignment,
  // [MS-FSCC] 2.4 FileAllInformation: the nine structures back to back.
  [FileInfoClass.FileAllInformation]: (w, rec, ctx) => {
    for (const part of [writeBasic, writeStandard, writeInternal, writeEa, writeAccess, writePosition, writeMode, writeAlignment, writeFullName]) {
      part(w, rec, ctx);
    }
  },
  // [MS-FSCC] 2.4 FileAlternateNameInformation: FileNameLength(4) FileName, the 8.3 name. The
  // share's root has no name, so no alternate name either.
  [FileInfoClass.FileAlternateNameInformation]: (w, rec) => {
    if (rec.name === '') throw new DecodeError('the share root has no short name', Status.OBJECT_NAME_NOT_FOUND);
    writeName(w, shortNameOf(rec.name));
  },
  // [MS-FSCC] 2.4 FileStreamInformation: directories have no unnamed data stream.
  [FileInfoClass.FileStreamInformation]: (w, rec) => {
    if (rec.isDirectory) return;
    const name = Buffer.from(DEFAULT_DATA_STREAM, 'utf16le');
    w.u32(0).u32(name.length).u64(rec.size).u64(rec.allocationSize).bytes(name);
  },
  // [MS-FSCC] 2.4 FileCompressionInformation: COMPRESSION_FORMAT_NONE, shifts 0, Reserved(3).
  [FileInfoClass.FileCompressionInformation]: (w, rec) => {
    w.u64(rec.size).u16(0).u8(0).u8(0).u8(0).zeros(3);
  },
  // [MS-FSCC] 2.4 FileNetworkOpenInformation
  [FileInfoClass.FileNetworkOpenInformation]: (w, rec) => {
    writeTimes(w, rec);
    w.u64(rec.allocationSize).u64(rec.size).u32(wireAttributes(rec)).u32(0);
  },
  // [MS-FSCC] 2.4 FileAttributeTagInformation: no reparse points, so ReparseTag 0.
  [FileInfoClass.FileAttributeTagInformation]: (w, rec) => void w.u32(wireAttributes(rec)).u32(0),
  [FileInfoClass.FileNormalizedNameInformation]: (w, _rec, ctx) => writeName(w, relativePath(ctx)),
  // [MS-FSCC] 2.4 FileIdInformation: VolumeSerialNumber(8) FileId(16).
  [FileInfoClass.FileIdInformation]: (w, rec, ctx) => {
    w.u64(BigInt(ctx.volumeSerialNumber ?? 0));
    writeFileId128(w, rec.fileId);
  },
  // [MS-FSA] 2.1.5.12 FileFullEaInformation: every EA, names upper case as NTFS keeps them.
  [FileInfoClass.FileFullEaInformation]: (w, _rec, ctx) => {
    if (!ctx.eas?.length) throw new DecodeError('no EAs', Status.NO_EAS_ON_FILE);
    w.bytes(encodeEaList(ctx.eas.map((ea) => ({ ...ea, name: ea.name.toUpperCase() }))));
  },
};

/**
 * QUERY_INFO with InfoType SMB2_0_INFO_FILE, [MS-SMB2] 3.3.5.20.1. Returns the whole structure;
 * the caller trims it to OutputBufferLength and picks the status. Throws DecodeError with
 * STATUS_INVALID_INFO_CLASS for unknown classes and STATUS_NOT_SUPPORTED for known ones this
 * server does not answer (set-only classes, pipes, quotas, ...).
 */
export function encodeFileInfo(infoClass: number, rec: FileRecord, ctx: FileInfoContext): Buffer {
  const write = writers[infoClass];
  if (!write) {
    const status = isKnownFileInfoClass(infoClass) ? Status.NOT_SUPPORTED : Status.INVALID_INFO_CLASS;
    throw new DecodeError(`file info class ${infoClass} not supported`, status);
  }
  const w = new Writer(0, 128);
  write(w, rec, ctx);
  return w.finish();
}

/**
 * The smallest OutputBufferLength a class accepts before the server answers
 * STATUS_INFO_LENGTH_MISMATCH instead of a truncated STATUS_BUFFER_OVERFLOW, [MS-FSA] 2.1.5.12:
 * the fixed part of the structure (variable-length classes may then overflow). For classes that end
 * in a name, Windows (and smbtorture smb2.getinfo) take the C sizeof: the fixed part plus one
 * WCHAR, rounded up to the structure's 8-byte alignment.
 */
export const minimumFileInfoLength: Readonly<Record<number, number>> = {
  [FileInfoClass.FileBasicInformation]: 40,
  [FileInfoClass.FileStandardInformation]: 24,
  [FileInfoClass.FileInternalInformation]: 8,
  [FileInfoClass.FileEaInformation]: 4,
  [FileInfoClass.FileAccessInformation]: 4,
  [FileInfoClass.FileNameInformation]: 4,
  [FileInfoClass.FilePositionInformation]: 8,
  [FileInfoClass.FileModeInformation]: 4,
  [FileInfoClass.FileAlignmentInformation]: 4,
  [FileInfoClass.FileAllInformation]: 104,
  [FileInfoClass.FileAlternateNameInformation]: 8,
  [FileInfoClass.FileStreamInformation]: 32,
  [FileInfoClass.FileCompressionInformation]: 16,
  [FileInfoClass.FileNetworkOpenInformation]: 56,
  [FileInfoClass.FileAttributeTagInformation]: 8,
  [FileInfoClass.FileNormalizedNameInformation]: 4,
  [FileInfoClass.FileIdInformation]: 24,
};
