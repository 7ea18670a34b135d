import { Status, SmbStatusError } from '../smb2/status.js';

/** An authentication failure carrying the NTSTATUS the SESSION_SETUP response reports (LOGON_FAILURE unless said). */
export class AuthError extends SmbStatusError {
  constructor(message: string, status: number = Status.LOGON_FAILURE) {
    super(status, message);
    this.name = 'AuthError';
  }
}
