import { Status, SmbStatusError } from '../smb2/status.js';

/**
 * The one error type a decoder throws: an SmbStatusError for bytes that do not parse,
 * so a malformed request becomes an error response (INVALID_PARAMETER unless the spec
 * names another status), never a crash.
 */
export class DecodeError extends SmbStatusError {
  constructor(message: string, status: number = Status.INVALID_PARAMETER) {
    super(status, message);
    this.name = 'DecodeError';
  }
}
