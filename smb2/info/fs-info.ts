import { stat, statfs } from 'node:fs/promises';
import { Writer } from '../../wire/writer.js';
import { DecodeError } from '../../wire/decode-error.js';
import { FileSystemAttribute, FsDevice, FsInfoClass, SectorSizeFlag, isKnownFsInfoClass } from './classes.js';
import { Status } from '../status.js';
import { fileTimeFromNs } from './filetime.js';

/** What the file system information classes report about a share's volume. */
export interface VolumeFacts {
  label: string;
  serialNumber: number;
  /** FILETIME of the volume's creation. */
  createdAt: bigint;
  totalBytes: number;
  /** Free bytes on the volume (statfs bfree). */
  freeBytes: number;
  /** Free bytes the caller may use (statfs bavail). */
  availableBytes: number;
  bytesPerSector: number;
  sectorsPerAllocationUnit: number;
  /** FileSystemName, e.g. 'NTFS' (clients key features off it). */
  fsName: string;
  maxComponentLength: number;
  /** FileSystemAttributes, [MS-FSCC] 2.5.1 (see FileSystemAttribute). */
  attributes: number;
}

type FsInfoWriter = (w: Writer, v: VolumeFacts) => void;

/** DefaultQuotaThreshold and DefaultQuotaLimit meaning "no quota", [MS-FSCC] 2.5.2. */
const NO_QUOTA = 0xffffffffffffffffn;

function unitBytes(v: VolumeFacts): number {
  return v.bytesPerSector * v.sectorsPerAllocationUnit;
}

function units(bytes: number, v: VolumeFacts): bigint {
  return BigInt(Math.floor(bytes / unitBytes(v)));
}

const writers: Record<number, FsInfoWriter> = {
  // [MS-FSCC] 2.5.9: SupportsObjects 0, Reserved 0.
  [FsInfoClass.FileFsVolumeInformation]: (w, v) => {
    const label = Buffer.from(v.label, 'utf16le');
    w.u64(v.createdAt).u32(v.serialNumber).u32(label.length).u8(0).u8(0).bytes(label);
  },
  // [MS-FSCC] 2.5.8
  [FsInfoClass.FileFsSizeInformation]: (w, v) => {
    w.u64(units(v.totalBytes, v)).u64(units(v.availableBytes, v)).u32(v.sectorsPerAllocationUnit).u32(v.bytesPerSector);
  },
  // [MS-FSCC] 2.5.10
  [FsInfoClass.FileFsDeviceInformation]: (w) => {
    w.u32(FsDevice.FILE_DEVICE_DISK).u32(FsDevice.FILE_DEVICE_IS_MOUNTED);
  },
  // [MS-FSCC] 2.5.1
  [FsInfoClass.FileFsAttributeInformation]: (w, v) => {
    const name = Buffer.from(v.fsName, 'utf16le');
    w.u32(v.attributes).u32(v.maxComponentLength).u32(name.length).bytes(name);
  },
  // [MS-FSCC] 2.5.2: no free-space filtering, no default quota (-1: none), FileSystemControlFlags 0
  // (quotas neither tracked nor enforced), Padding(4). Quotas are left to the host.
  [FsInfoClass.FileFsControlInformation]: (w) => {
    w.u64(0).u64(0).u64(0).u64(NO_QUOTA).u64(NO_QUOTA).u32(0).u32(0);
  },
  // [MS-FSCC] 2.5.4
  [FsInfoClass.FileFsFullSizeInformation]: (w, v) => {
    w.u64(units(v.totalBytes, v)).u64(units(v.availableBytes, v)).u64(units(v.freeBytes, v));
    w.u32(v.sectorsPerAllocationUnit).u32(v.bytesPerSector);
  },
  // [MS-FSCC] 2.5.6: ObjectId(16) ExtendedInfo(48). The id is derived from the volume's
  // serial number and creation time so it stays stable across restarts.
  [FsInfoClass.FileFsObjectIdInformation]: (w, v) => {
    w.u32(v.serialNumber).u32(0).u64(v.createdAt).zeros(48);
  },
  // [MS-FSCC] 2.5.7: one sector size for every field, no alignment offsets.
  [FsInfoClass.FileFsSectorSizeInformation]: (w, v) => {
    const sector = v.bytesPerSector;
    w.u32(sector).u32(sector).u32(sector).u32(sector);
    w.u32(SectorSizeFlag.SSINFO_FLAGS_ALIGNED_DEVICE | SectorSizeFlag.SSINFO_FLAGS_PARTITION_ALIGNED_ON_DEVICE);
    w.u32(0).u32(0);
  },
};

/**
 * QUERY_INFO with InfoType SMB2_0_INFO_FILESYSTEM, [MS-SMB2] 3.3.5.20.2. Unknown classes throw
 * DecodeError(STATUS_INVALID_INFO_CLASS); known but unanswered ones STATUS_NOT_SUPPORTED.
 */
export function encodeFsInfo(infoClass: number, v: VolumeFacts): Buffer {
  const write = writers[infoClass];
  if (!write) {
    const status = isKnownFsInfoClass(infoClass) ? Status.NOT_SUPPORTED : Status.INVALID_INFO_CLASS;
    throw new DecodeError(`fs info class ${infoClass} not supported`, status);
  }
  const w = new Writer(0, 128);
  write(w, v);
  return w.finish();
}

/**
 * The fixed part of each fs class, for the STATUS_INFO_LENGTH_MISMATCH check, [MS-FSA] 2.1.5.12;
 * classes ending in a name take the C sizeof, as for the file classes.
 */
export const minimumFsInfoLength: Readonly<Record<number, number>> = {
  [FsInfoClass.FileFsVolumeInformation]: 24,
  [FsInfoClass.FileFsSizeInformation]: 24,
  [FsInfoClass.FileFsDeviceInformation]: 8,
  [FsInfoClass.FileFsAttributeInformation]: 16,
  [FsInfoClass.FileFsControlInformation]: 48,
  [FsInfoClass.FileFsFullSizeInformation]: 32,
  [FsInfoClass.FileFsObjectIdInformation]: 64,
  [FsInfoClass.FileFsSectorSizeInformation]: 28,
};

/** What the share advertises: case-preserving, case-sensitive, Unicode names. */
export const DEFAULT_FS_ATTRIBUTES =
  FileSystemAttribute.FILE_CASE_SENSITIVE_SEARCH | FileSystemAttribute.FILE_CASE_PRESERVED_NAMES | FileSystemAttribute.FILE_UNICODE_ON_DISK;

const BYTES_PER_SECTOR = 512;

/** 32-bit FNV-1a: a stable serial number from the share path and its device number. */
function serialFor(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** VolumeFacts for the file system holding `path` (statfs), labelled `label`. */
export async function volumeFactsFor(path: string, label: string): Promise<VolumeFacts> {
  const [fsStats, rootStats] = await Promise.all([statfs(path), stat(path, { bigint: true })]);
  const blockSize = Number(fsStats.bsize);
  const createdNs = rootStats.birthtimeNs > 0n ? rootStats.birthtimeNs : rootStats.ctimeNs;
  return {
    label,
    serialNumber: serialFor(`${rootStats.dev}:${path}`),
    createdAt: fileTimeFromNs(createdNs),
    totalBytes: Number(fsStats.blocks) * blockSize,
    freeBytes: Number(fsStats.bfree) * blockSize,
    availableBytes: Number(fsStats.bavail) * blockSize,
    bytesPerSector: BYTES_PER_SECTOR,
    sectorsPerAllocationUnit: Math.max(1, Math.floor(blockSize / BYTES_PER_SECTOR)),
    fsName: 'NTFS',
    maxComponentLength: 255,
    attributes: DEFAULT_FS_ATTRIBUTES,
  };
}
