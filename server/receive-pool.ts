/**
 * Receive blocks reused from one large frame to the next. The socket hands out a fresh Buffer
 * per read; a large frame's reads, held until the whole frame is in and its WRITE is done, live
 * long enough to be promoted by the garbage collector, and a promoted Buffer's memory comes back
 * only with a full collection: a stream of large WRITEs then runs mark-compacts back to back.
 * Copied into a pooled block as soon as a block's worth has arrived, the reads die young, and the
 * blocks, allocated once, are not garbage at all.
 */
export class ReceivePool {
  private readonly free: Buffer[] = [];

  /** `keepBlocks`: free blocks kept for reuse; more than that go back to the garbage collector. */
  constructor(
    readonly blockBytes: number,
    private readonly keepBlocks: number,
  ) {}

  /** A block of blockBytes, reused when one is free (its old bytes are still in it: fill it before use). */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.blockBytes);
  }

  /** The block is no longer read by anyone. */
  give(block: Buffer): void {
    if (this.free.length < this.keepBlocks && block.length === this.blockBytes) this.free.push(block);
  }

  /** Free blocks held (for tests and accounting). */
  get freeBlocks(): number {
    return this.free.length;
  }
}
