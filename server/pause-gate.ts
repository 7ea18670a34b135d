/**
 * Stops a transport from reading while any reason holds it (too many requests in flight,
 * READs waiting for budget), and lets it read again when the last reason is gone.
 */
export class PauseGate {
  private readonly reasons = new Map<string, number>();

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
  ) {}

  hold(reason: string): void {
    const n = this.reasons.get(reason) ?? 0;
    this.reasons.set(reason, n + 1);
    if (this.reasons.size === 1 && n === 0) this.pause();
  }

  release(reason: string): void {
    const n = this.reasons.get(reason);
    if (n === undefined) return;
    if (n > 1) return void this.reasons.set(reason, n - 1);
    this.reasons.delete(reason);
    if (this.reasons.size === 0) this.resume();
  }
}
