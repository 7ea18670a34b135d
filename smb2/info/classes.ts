/**
 * Information class numbers and flag tables for QUERY_DIRECTORY, QUERY_INFO and SET_INFO.
 */

/**
 * FILE_INFORMATION_CLASS values, [MS-FSCC] 2.4 (each class has its own subsection there,
 * named like the key; the numbering of those subsections moves between spec revisions).
 */
export const FileInfoClass = {
  FileDirectoryInformation: 0x01,
  FileFullDirectoryInformation: 0x02,
  FileBothDirectoryInformation: 0x03,
  FileBasicInformation: 0x04,
  FileStandardInformation: 0x05,
  FileInternalInformation: 0x06,
  FileEaInformation: 0x07,
  FileAccessInformation: 0x08,
  FileNameInformation: 0x09,
  FileRenameInformation: 0x0a,
  FileLinkInformation: 0x0b,
  FileNamesInformation: 0x0c,
  FileDispositionInformation: 0x0d,
  FilePositionInformation: 0x0e,
  FileFullEaInformation: 0x0f,
  FileModeInformation: 0x10,
  FileAlignmentInformation: 0x11,
  FileAllInformation: 0x12,
  FileAllocationInformation: 0x13,
  FileEndOfFileInformation: 0x14,
  FileAlternateNameInformation: 0x15,
  FileStreamInformation: 0x16,
  FilePipeInformation: 0x17,
  FilePipeLocalInformation: 0x18,
  FilePipeRemoteInformation: 0x19,
  FileCompressionInformation: 0x1c,
  FileQuotaInformation: 0x20,
  FileNetworkOpenInformation: 0x22,
  FileAttributeTagInformation: 0x23,
  FileIdBothDirectoryInformation: 0x25,
  FileIdFullDirectoryInformation: 0x26,
  FileValidDataLengthInformation: 0x27,
  FileShortNameInformation: 0x28,
  FileSfioReserveInformation: 0x2c,
  FileHardLinkInformation: 0x2e,
  FileNormalizedNameInformation: 0x30,
  FileIdGlobalTxDirectoryInformation: 0x32,
  FileStandardLinkInformation: 0x36,
  FileIdInformation: 0x3b,
  FileIdExtdDirectoryInformation: 0x3c,
  FileDispositionInformationEx: 0x40,
  FileRenameInformationEx: 0x41,
} as const;

/** FS_INFORMATION_CLASS values, [MS-FSCC] 2.5 (one subsection per class, named like the key). */
export const FsInfoClass = {
  FileFsVolumeInformation: 1,
  FileFsLabelInformation: 2,
  FileFsSizeInformation: 3,
  FileFsDeviceInformation: 4,
  FileFsAttributeInformation: 5,
  FileFsControlInformation: 6,
  FileFsFullSizeInformation: 7,
  FileFsObjectIdInformation: 8,
  FileFsDriverPathInformation: 9,
  FileFsVolumeFlagsInformation: 10,
  FileFsSectorSizeInformation: 11,
} as const;

/** FILE_ATTRIBUTE_* flags, [MS-FSCC] 2.6. */
export const FileAttribute = {
  READONLY: 0x1,
  HIDDEN: 0x2,
  SYSTEM: 0x4,
  DIRECTORY: 0x10,
  ARCHIVE: 0x20,
  NORMAL: 0x80,
  TEMPORARY: 0x100,
  SPARSE_FILE: 0x200,
  REPARSE_POINT: 0x400,
  COMPRESSED: 0x800,
} as const;

/** FileSystemAttributes of FILE_FS_ATTRIBUTE_INFORMATION, [MS-FSCC] 2.5.1. */
export const FileSystemAttribute = {
  FILE_CASE_SENSITIVE_SEARCH: 0x1,
  FILE_CASE_PRESERVED_NAMES: 0x2,
  FILE_UNICODE_ON_DISK: 0x4,
  FILE_PERSISTENT_ACLS: 0x8,
  FILE_FILE_COMPRESSION: 0x10,
  FILE_VOLUME_QUOTAS: 0x20,
  FILE_SUPPORTS_SPARSE_FILES: 0x40,
  FILE_SUPPORTS_REPARSE_POINTS: 0x80,
  FILE_SUPPORTS_OBJECT_IDS: 0x10000,
  FILE_SUPPORTS_HARD_LINKS: 0x400000,
} as const;

/** FILE_FS_DEVICE_INFORMATION DeviceType and Characteristics, [MS-FSCC] 2.5.10. */
export const FsDevice = {
  FILE_DEVICE_DISK: 0x7,
  FILE_REMOVABLE_MEDIA: 0x1,
  FILE_READ_ONLY_DEVICE: 0x2,
  FILE_REMOTE_DEVICE: 0x10,
  FILE_DEVICE_IS_MOUNTED: 0x20,
} as const;

/** Flags of FILE_FS_SECTOR_SIZE_INFORMATION, [MS-FSCC] 2.5.7. */
export const SectorSizeFlag = {
  SSINFO_FLAGS_ALIGNED_DEVICE: 0x1,
  SSINFO_FLAGS_PARTITION_ALIGNED_ON_DEVICE: 0x2,
  SSINFO_FLAGS_NO_SEEK_PENALTY: 0x4,
  SSINFO_FLAGS_TRIM_ENABLED: 0x8,
} as const;

/** SMB2 QUERY_INFO / SET_INFO InfoType, [MS-SMB2] 2.2.37. */
export const InfoType = {
  SMB2_0_INFO_FILE: 0x01,
  SMB2_0_INFO_FILESYSTEM: 0x02,
  SMB2_0_INFO_SECURITY: 0x03,
  SMB2_0_INFO_QUOTA: 0x04,
} as const;

/** AdditionalInformation bits for SMB2_0_INFO_SECURITY, [MS-SMB2] 2.2.37. */
export const SecurityInformation = {
  OWNER_SECURITY_INFORMATION: 0x1,
  GROUP_SECURITY_INFORMATION: 0x2,
  DACL_SECURITY_INFORMATION: 0x4,
  SACL_SECURITY_INFORMATION: 0x8,
  LABEL_SECURITY_INFORMATION: 0x10,
  ATTRIBUTE_SECURITY_INFORMATION: 0x20,
  SCOPE_SECURITY_INFORMATION: 0x40,
  BACKUP_SECURITY_INFORMATION: 0x10000,
} as const;

/** Flags of FILE_DISPOSITION_INFORMATION_EX, [MS-FSCC] 2.4.12. */
export const DispositionExFlag = {
  FILE_DISPOSITION_DO_NOT_DELETE: 0x0,
  FILE_DISPOSITION_DELETE: 0x1,
  FILE_DISPOSITION_POSIX_SEMANTICS: 0x2,
  FILE_DISPOSITION_FORCE_IMAGE_SECTION_CHECK: 0x4,
  FILE_DISPOSITION_ON_CLOSE: 0x8,
  FILE_DISPOSITION_IGNORE_READONLY_ATTRIBUTE: 0x10,
} as const;

/** Flags of FILE_RENAME_INFORMATION_EX, [MS-FSCC] 2.4.43. */
export const RenameExFlag = {
  FILE_RENAME_REPLACE_IF_EXISTS: 0x1,
  FILE_RENAME_POSIX_SEMANTICS: 0x2,
  FILE_RENAME_IGNORE_READONLY_ATTRIBUTE: 0x40,
} as const;

/** True when `infoClass` is one of the FILE_INFORMATION_CLASS values listed above. */
export function isKnownFileInfoClass(infoClass: number): boolean {
  return (Object.values(FileInfoClass) as number[]).includes(infoClass);
}

/** True when `infoClass` is one of the FS_INFORMATION_CLASS values listed above. */
export function isKnownFsInfoClass(infoClass: number): boolean {
  return (Object.values(FsInfoClass) as number[]).includes(infoClass);
}
