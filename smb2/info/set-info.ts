import { Reader } from '../../wire/reader.js';
import { DecodeError } from '../../wire/decode-error.js';
import { FileInfoClass, RenameExFlag } from './classes.js';
import { Status } from '../status.js';
import { decodeEaList, type ExtendedAttribute } from './extended-attributes.js';

/** A decoded SET_INFO (SMB2_0_INFO_FILE) input buffer, [MS-SMB2] 3.3.5.21.1. */
export type SetFileInfo =
  /** Raw FILETIMEs: 0 and 0xFFFFFFFFFFFFFFFF mean "do not change" ([MS-FSCC] 2.4 FileBasicInformation); the caller interprets. */
  | { kind: 'basic'; creationTime: bigint; lastAccessTime: bigint; lastWriteTime: bigint; changeTime: bigint; attributes: number }
  /** fileName is as sent (backslashes, relative to the share root). flags only for FileRenameInformationEx. */
  | { kind: 'rename'; replaceIfExists: boolean; fileName: string; flags?: number }
  | { kind: 'disposition'; deletePending: boolean }
  | { kind: 'disposition-ex'; flags: number }
  | { kind: 'end-of-file'; size: number }
  | { kind: 'allocation'; size: number }
  | { kind: 'position'; offset: number }
  | { kind: 'mode'; mode: number }
  | { kind: 'eas'; eas: ExtendedAttribute[] };

type Decoder = (r: Reader) => SetFileInfo;

interface SetInfoLayout {
  /** Bytes before any variable part; shorter input is STATUS_INFO_LENGTH_MISMATCH, [MS-FSA] 2.1.5.14. */
  minLength: number;
  decode: Decoder;
}

function invalid(message: string): DecodeError {
  return new DecodeError(message, Status.INVALID_PARAMETER);
}

/** RootDirectory(8) FileNameLength(4) FileName, shared by both rename layouts. */
function decodeRenameTail(r: Reader): string {
  if (r.u64() !== 0n) throw invalid('rename RootDirectory must be 0 over SMB2');
  const length = r.u32();
  if (length === 0 || length % 2 !== 0) throw invalid(`rename FileNameLength ${length}`);
  if (length > r.remaining) throw invalid(`rename FileNameLength ${length} past the buffer`);
  return r.utf16(length);
}

const layouts: Record<number, SetInfoLayout> = {
  // [MS-FSCC] 2.4 FileBasicInformation: four FILETIMEs, FileAttributes, Reserved(4).
  [FileInfoClass.FileBasicInformation]: {
    minLength: 40,
    decode: (r) => ({
      kind: 'basic',
      creationTime: r.u64(),
      lastAccessTime: r.u64(),
      lastWriteTime: r.u64(),
      changeTime: r.u64(),
      attributes: r.u32(),
    }),
  },
  // [MS-FSCC] 2.4 FileRenameInformation, FILE_RENAME_INFORMATION_TYPE_2:
  // ReplaceIfExists(1) Reserved(7) RootDirectory(8) FileNameLength(4) FileName.
  [FileInfoClass.FileRenameInformation]: {
    minLength: 20,
    decode: (r) => {
      const replaceIfExists = r.u8() !== 0;
      r.skip(7);
      return { kind: 'rename', replaceIfExists, fileName: decodeRenameTail(r) };
    },
  },
  // [MS-FSCC] 2.4 FileRenameInformationEx: Flags(4) then the TYPE_2 layout from RootDirectory on.
  [FileInfoClass.FileRenameInformationEx]: {
    minLength: 20,
    decode: (r) => {
      const flags = r.u32();
      r.skip(4);
      const replaceIfExists = (flags & RenameExFlag.FILE_RENAME_REPLACE_IF_EXISTS) !== 0;
      return { kind: 'rename', replaceIfExists, fileName: decodeRenameTail(r), flags };
    },
  },
  // [MS-FSCC] 2.4 FileDispositionInformation: DeletePending(1).
  [FileInfoClass.FileDispositionInformation]: {
    minLength: 1,
    decode: (r) => ({ kind: 'disposition', deletePending: r.u8() !== 0 }),
  },
  // [MS-FSCC] 2.4 FileDispositionInformationEx: Flags(4).
  [FileInfoClass.FileDispositionInformationEx]: {
    minLength: 4,
    decode: (r) => ({ kind: 'disposition-ex', flags: r.u32() }),
  },
  // [MS-FSCC] 2.4 FileEndOfFileInformation: EndOfFile(8), signed.
  [FileInfoClass.FileEndOfFileInformation]: {
    minLength: 8,
    decode: (r) => ({ kind: 'end-of-file', size: nonNegative(r, 'EndOfFile') }),
  },
  // [MS-FSCC] 2.4 FileAllocationInformation: AllocationSize(8), signed.
  [FileInfoClass.FileAllocationInformation]: {
    minLength: 8,
    decode: (r) => ({ kind: 'allocation', size: nonNegative(r, 'AllocationSize') }),
  },
  // [MS-FSCC] 2.4 FilePositionInformation: CurrentByteOffset(8), signed.
  [FileInfoClass.FilePositionInformation]: {
    minLength: 8,
    decode: (r) => ({ kind: 'position', offset: nonNegative(r, 'CurrentByteOffset') }),
  },
  // [MS-FSCC] 2.4 FileModeInformation: Mode(4).
  [FileInfoClass.FileModeInformation]: {
    minLength: 4,
    decode: (r) => ({ kind: 'mode', mode: r.u32() }),
  },
  // [MS-FSCC] 2.4.15 FileFullEaInformation: one or more FILE_FULL_EA_INFORMATION entries.
  [FileInfoClass.FileFullEaInformation]: {
    minLength: 8,
    decode: (r) => ({ kind: 'eas', eas: decodeEaList(r.bytes(r.remaining)) }),
  },
};

/** A signed 64-bit size that must be >= 0 and fit a JS number. */
function nonNegative(r: Reader, field: string): number {
  const raw = r.u64();
  if (raw >= 1n << 63n) throw invalid(`${field} is negative`);
  if (raw > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`${field} ${raw} too large`);
  return Number(raw);
}

/**
 * Decodes a SET_INFO input buffer for InfoType SMB2_0_INFO_FILE. Throws DecodeError:
 * STATUS_INFO_LENGTH_MISMATCH when the buffer is shorter than the class's fixed part,
 * STATUS_INVALID_PARAMETER for bad field values (a rename name past the buffer, negative sizes),
 * STATUS_INVALID_INFO_CLASS for classes that cannot be set, STATUS_NOT_SUPPORTED for settable
 * classes this server does not implement (links, short names).
 */
export function decodeSetFileInfo(infoClass: number, buffer: Buffer): SetFileInfo {
  const layout = layouts[infoClass];
  if (!layout) throw unsupported(infoClass);
  if (buffer.length < layout.minLength) {
    throw new DecodeError(`info class ${infoClass} needs ${layout.minLength} bytes, got ${buffer.length}`, Status.INFO_LENGTH_MISMATCH);
  }
  return layout.decode(new Reader(buffer));
}

/**
 * Classes documented for Set or LOCAL use that this server does not implement: STATUS_NOT_SUPPORTED,
 * while query-only classes get STATUS_INVALID_INFO_CLASS ([MS-SMB2] 3.3.5.21.1, [MS-FSCC] 2.4 table).
 */
const settableButUnsupported: readonly number[] = [
  FileInfoClass.FileHardLinkInformation,
  FileInfoClass.FileStandardLinkInformation,
  FileInfoClass.FileLinkInformation,
  FileInfoClass.FileValidDataLengthInformation,
  FileInfoClass.FileShortNameInformation,
  FileInfoClass.FileSfioReserveInformation,
  FileInfoClass.FilePipeInformation,
  FileInfoClass.FileQuotaInformation,
];

function unsupported(infoClass: number): DecodeError {
  if (settableButUnsupported.includes(infoClass)) {
    return new DecodeError(`setting info class ${infoClass} is not supported`, Status.NOT_SUPPORTED);
  }
  return new DecodeError(`info class ${infoClass} cannot be set`, Status.INVALID_INFO_CLASS);
}
