/**
 * Bytes of READ data the server holds for clients: pinned cache pages or heap copies, from
 * the moment a READ is admitted until its payload is released after the send. One budget
 * per connection, chained to one for the whole server; a READ that does not fit waits
 * (and its connection stops reading more requests) until earlier payloads are released.
 */
export class ReadBudget {
  /** Bytes admitted and not yet given back. */
  bytes = 0;
  /** Payloads handed out and not yet released. */
  payloads = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly limit: () => number,
    private readonly parent?: ReadBudget,
  ) {}

  /** Which budget of the chain `bytes` more would overflow, or null when they fit. */
  overflow(bytes: number): ReadBudget | null {
    if (this.bytes + bytes > this.limit()) return this;
    return this.parent?.overflow(bytes) ?? null;
  }

  /** True when `bytes` can never fit, even with nothing else outstanding. */
  tooLarge(bytes: number): boolean {
    return bytes > this.limit() || (this.parent?.tooLarge(bytes) ?? false);
  }

  take(bytes: number): void {
    this.bytes += bytes;
    this.parent?.take(bytes);
  }

  give(bytes: number): void {
    this.bytes -= bytes;
    if (this.parent) this.parent.give(bytes);
    else this.wake();
  }

  countPayload(delta: number): void {
    this.payloads += delta;
    this.parent?.countPayload(delta);
  }

  /** Resolves the next time any budget of the chain gives bytes back (or wake() is called). */
  changed(): Promise<void> {
    if (this.parent) return this.parent.changed();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** Let every waiter check again (bytes given back, a limit reloaded, a connection closed). */
  wake(): void {
    if (this.parent) return this.parent.wake();
    const all = [...this.waiters];
    this.waiters.clear();
    for (const w of all) w();
  }
}
