import { Status } from '../smb2/status.js';

/** An authentication failure carrying the NTSTATUS the SESSION_SETUP response reports. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: number = Status.LOGON_FAILURE,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}
