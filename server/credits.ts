/** Message ids beyond this are refused (they are compared as numbers). */
const MAX_MESSAGE_ID = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The credit window of one connection, [MS-SMB2] 3.3.1.1 and 3.3.5.2.3: message ids the
 * client may use are [low, high); each id can be used once. A large-MTU request consumes
 * CreditCharge consecutive ids.
 */
export class CreditWindow {
  private low = 0;
  private high = 1;
  private readonly used = new Set<number>();

  constructor(private maxCredits: number) {}

  setMaxCredits(n: number): void {
    this.maxCredits = n;
  }

  /** Credits the client holds now (ids granted but not used). */
  get outstanding(): number {
    return this.high - this.low - this.used.size;
  }

  /** Consume the ids of one request; false when any is outside the window or used already. */
  consume(messageId: bigint, charge: number): boolean {
    if (messageId > MAX_MESSAGE_ID) return false;
    const first = Number(messageId);
    const count = Math.max(1, charge);
    if (first < this.low || first + count > this.high) return false;
    if (first === this.low && this.used.size === 0) {
      this.low += count; // the next ids in order, none used out of order: nothing to record
      return true;
    }
    for (let id = first; id < first + count; id++) if (this.used.has(id)) return false;
    for (let id = first; id < first + count; id++) this.used.add(id);
    while (this.used.has(this.low)) this.used.delete(this.low++);
    return true;
  }

  /**
   * How many credits to grant on a response: what the client asked for, capped so it never
   * holds more than maxCredits, and at least one when it would otherwise hold none.
   */
  grant(requested: number): number {
    const room = Math.max(0, this.maxCredits - this.outstanding);
    let n = Math.min(Math.max(requested, 1), room);
    if (n === 0 && this.outstanding === 0) n = 1;
    this.high += n;
    return n;
  }
}
