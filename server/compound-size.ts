import { HEADER_SIZE } from '../smb2/constants.js';
import { Status } from '../smb2/status.js';
import type { HandlerResult } from './handler.js';

/** Body of an ERROR response without ErrorData, [MS-SMB2] 2.2.2. */
const ERROR_BODY_SIZE = 9;

/**
 * Room granted to the small responses compounded with a full-size READ (CREATE, CLOSE, ...).
 * [MS-SMB2] 3.3.4.1.3: the server SHOULD NOT send a response larger than
 * Connection.MaxTransactSize + 256; spliced allows MaxReadSize plus this much.
 */
export const COMPOUND_SLACK = 64 * 1024;

function responseSize(result: HandlerResult): number {
  const body = result.body?.length ?? ERROR_BODY_SIZE;
  return HEADER_SIZE + body + (result.payload?.length ?? 0);
}

/**
 * Bytes used so far by the responses of one compound, against the largest message the
 * transport can carry. A response that does not fit is answered with
 * STATUS_INSUFFICIENT_RESOURCES instead, and its payload released; the responses before
 * it go out as they are ([MS-SMB2] 3.3.4.1.3: the chain is one transport submission).
 */
export class CompoundSize {
  private used = 0;

  constructor(private readonly limit: number) {}

  fit(result: HandlerResult): HandlerResult {
    const size = responseSize(result);
    const padded = size + ((8 - (size % 8)) % 8);
    if (this.used + size <= this.limit) {
      this.used += padded;
      return result;
    }
    result.payload?.release();
    const refused: HandlerResult = { status: Status.INSUFFICIENT_RESOURCES };
    this.used += HEADER_SIZE + 16; // error response, padded
    return refused;
  }
}
