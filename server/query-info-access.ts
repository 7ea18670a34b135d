/**
 * The access a QUERY_INFO needs of the open, by information class: [MS-FSA] 2.1.5.12 for file
 * classes (most need none; the attribute classes FILE_READ_ATTRIBUTES, the EA list FILE_READ_EA) and
 * [MS-SMB2] 3.3.5.20.3 for security information (READ_CONTROL; a SACL ACCESS_SYSTEM_SECURITY).
 */
import { Access, Dialect } from '../smb2/constants.js';
import { Status, SmbStatusError } from '../smb2/status.js';
import { FileInfoClass, InfoType, SecurityInformation } from '../smb2/info/index.js';
import { requireAccess } from './access.js';

const FILE_CLASS_ACCESS: Readonly<Record<number, number>> = {
  [FileInfoClass.FileBasicInformation]: Access.FILE_READ_ATTRIBUTES,
  [FileInfoClass.FileAllInformation]: Access.FILE_READ_ATTRIBUTES,
  [FileInfoClass.FileNetworkOpenInformation]: Access.FILE_READ_ATTRIBUTES,
  [FileInfoClass.FileAttributeTagInformation]: Access.FILE_READ_ATTRIBUTES,
  [FileInfoClass.FileFullEaInformation]: Access.FILE_READ_EA,
};

const SECURITY_NEEDING_READ_CONTROL =
  SecurityInformation.OWNER_SECURITY_INFORMATION | SecurityInformation.GROUP_SECURITY_INFORMATION |
  SecurityInformation.DACL_SECURITY_INFORMATION | SecurityInformation.LABEL_SECURITY_INFORMATION |
  SecurityInformation.ATTRIBUTE_SECURITY_INFORMATION | SecurityInformation.SCOPE_SECURITY_INFORMATION;

/** Throws STATUS_ACCESS_DENIED when `granted` lacks what the query needs. */
export function checkQueryInfoAccess(granted: number, infoType: number, infoClass: number, additionalInformation: number): void {
  if (infoType === InfoType.SMB2_0_INFO_FILE) {
    const needed = FILE_CLASS_ACCESS[infoClass];
    if (needed !== undefined) requireAccess(granted, needed);
  } else if (infoType === InfoType.SMB2_0_INFO_SECURITY) {
    if (additionalInformation & SECURITY_NEEDING_READ_CONTROL) requireAccess(granted, Access.READ_CONTROL);
    if (additionalInformation & SecurityInformation.SACL_SECURITY_INFORMATION) requireAccess(granted, Access.ACCESS_SYSTEM_SECURITY);
  }
}

/** [MS-SMB2] 3.3.5.20.1: FileNormalizedNameInformation exists on SMB 3.1.1 only (STATUS_NOT_SUPPORTED before it). */
export function checkQueryInfoDialect(dialect: number, infoType: number, infoClass: number): void {
  if (infoType === InfoType.SMB2_0_INFO_FILE && infoClass === FileInfoClass.FileNormalizedNameInformation && dialect < Dialect.SMB3_1_1) {
    throw new SmbStatusError(Status.NOT_SUPPORTED, 'FileNormalizedNameInformation needs SMB 3.1.1');
  }
}
