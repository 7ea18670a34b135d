/** NTSTATUS STATUS_INVALID_PARAMETER, [MS-ERREF] 2.3.1. Kept here so wire/ depends on nothing. */
const STATUS_INVALID_PARAMETER = 0xc000000d;

/**
 * The one error type a decoder throws. It carries the NTSTATUS the server answers with,
 * so a malformed request becomes an error response, never a crash.
 */
export class DecodeError extends Error {
  constructor(
    message: string,
    readonly status: number = STATUS_INVALID_PARAMETER,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}
