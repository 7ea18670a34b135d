import { Status } from '../status.js';
import { minimumFileInfoLength } from './file-info.js';
import { minimumFsInfoLength } from './fs-info.js';
import { InfoType } from './classes.js';

const STATUS_SUCCESS = 0;

/**
 * Fits an encoded file or file system information structure into the client's
 * OutputBufferLength, [MS-SMB2] 3.3.5.20.1 and 3.3.5.20.2:
 * - shorter than the class's fixed part: STATUS_INFO_LENGTH_MISMATCH, no data;
 * - room for the fixed part but not the variable tail: STATUS_BUFFER_OVERFLOW, data cut to fit;
 * - otherwise STATUS_SUCCESS with all of it.
 * Classes without a fixed part listed here count as having none.
 */
export function fitInfoOutput(
  infoType: typeof InfoType.SMB2_0_INFO_FILE | typeof InfoType.SMB2_0_INFO_FILESYSTEM,
  infoClass: number,
  full: Buffer,
  outputBufferLength: number,
): { status: number; buffer: Buffer } {
  const table = infoType === InfoType.SMB2_0_INFO_FILE ? minimumFileInfoLength : minimumFsInfoLength;
  const minimum = Math.min(table[infoClass] ?? 0, full.length);
  if (outputBufferLength < minimum || (outputBufferLength === 0 && full.length > 0)) {
    return { status: Status.INFO_LENGTH_MISMATCH, buffer: full.subarray(0, 0) };
  }
  if (full.length > outputBufferLength) {
    return { status: Status.BUFFER_OVERFLOW, buffer: full.subarray(0, outputBufferLength) };
  }
  return { status: STATUS_SUCCESS, buffer: full };
}
