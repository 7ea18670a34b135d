/** NTSTATUS values the auth layer answers with, [MS-ERREF] 2.3.1. */
export const AuthStatus = {
  STATUS_INVALID_PARAMETER: 0xc000000d,
  STATUS_ACCESS_DENIED: 0xc0000022,
  STATUS_LOGON_FAILURE: 0xc000006d,
  STATUS_NOT_SUPPORTED: 0xc00000bb,
} as const;

/** An authentication failure carrying the NTSTATUS the SESSION_SETUP response reports. */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: number = AuthStatus.STATUS_LOGON_FAILURE,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}
