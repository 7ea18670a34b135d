import { Dialect } from '../../smb2/constants.js';
import { Status, SmbStatusError } from '../../smb2/status.js';
import type { RequestContext } from '../handler.js';

/** One credit covers 64 KiB of payload, [MS-SMB2] 3.3.5.2.5. */
const CREDIT_UNIT = 65536;

/** Refuse a large-MTU request whose CreditCharge does not cover its payload or response size. */
export function requireCreditCharge(ctx: RequestContext, bytes: number): void {
  if (ctx.conn.dialect === Dialect.SMB2_0_2) {
    if (bytes > CREDIT_UNIT) throw new SmbStatusError(Status.INVALID_PARAMETER, 'SMB 2.0.2 request larger than 64 KiB');
    return;
  }
  const needed = Math.max(1, Math.ceil(bytes / CREDIT_UNIT));
  if (Math.max(1, ctx.header.creditCharge) < needed) {
    ctx.core.telemetry.protocolError('credit-charge');
    throw new SmbStatusError(Status.INVALID_PARAMETER, `CreditCharge ${ctx.header.creditCharge} does not cover ${bytes} bytes`);
  }
}
