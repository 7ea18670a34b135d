/** Where receive blocks come from: memory the process can give back at once (ops: the addon's mmap slabs), or by default Buffers the garbage collector frees. */
export interface BlockMemory {
  allocate(bytes: number): Buffer;
  /** The block is unused and never read again: its memory may go back to the system now. */
  release(block: Buffer): void;
}

const GC_MEMORY: BlockMemory = { allocate: (bytes) => Buffer.allocUnsafeSlow(bytes), release: () => {} };
/** How often free blocks that sat unused for a whole period are given back. */
const TRIM_EVERY_MS = 5000;

/**
 * Receive blocks reused from one frame to the next. The socket reads into one shared buffer
 * (framed-socket.ts sharedReadSocket), so what the framer keeps it must copy; a fresh Buffer per
 * frame is external memory the garbage collector only frees once enough of it has piled up (tens
 * of MiB at WRITE rates), and a large frame's Buffers, held until its WRITE is done, get promoted
 * and come back only with a full collection. Copied into pooled blocks instead, frames cost no
 * allocation at all: the blocks, allocated once, are not garbage. Blocks that stay free a whole
 * trim period go back (trim()).
 */
export class ReceivePool {
  private readonly free: Buffer[] = [];
  /** The fewest free blocks since the last trim: that many sat unused the whole period. */
  private leastFree = 0;
  private trimmer: NodeJS.Timeout | null = null;

  /** `keepBlocks`: free blocks kept for reuse; more than that go back to the garbage collector. */
  constructor(
    readonly blockBytes: number,
    private readonly keepBlocks: number,
    private readonly memory: BlockMemory = GC_MEMORY,
  ) {}

  /** A block of blockBytes, reused when one is free (its old bytes are still in it: fill it before use). */
  take(): Buffer {
    const block = this.free.pop() ?? this.memory.allocate(this.blockBytes);
    this.leastFree = Math.min(this.leastFree, this.free.length);
    return block;
  }

  /** The block is no longer read by anyone. */
  give(block: Buffer): void {
    if (this.free.length >= this.keepBlocks || block.length !== this.blockBytes) return;
    this.free.push(block);
    this.trimmer ??= setInterval(() => this.trim(), TRIM_EVERY_MS).unref();
  }

  /**
   * Give back the blocks that stayed free since the last trim (a burst of large WRITEs does not
   * keep its memory for good), keeping what the period needed at its busiest.
   */
  trim(): void {
    for (const block of this.free.splice(0, this.leastFree)) this.memory.release(block);
    this.leastFree = this.free.length;
    if (this.free.length === 0 && this.trimmer) {
      clearInterval(this.trimmer);
      this.trimmer = null;
    }
  }

  /** Free blocks held (for tests and accounting). */
  get freeBlocks(): number {
    return this.free.length;
  }
}

/** What a connection counts of the receive blocks it holds. */
export interface ReceiveLedger {
  /** Bytes of the blocks that hold a delivered message not yet released (whole blocks), and of messages still arriving (reserve). */
  readonly heldBytes: number;
}

/** A block in use by one connection's stream of frames. */
interface StreamBlock {
  readonly memory: Buffer;
  /** Delivered messages with bytes in the block, not yet released. */
  messages: number;
  /** The frame being received has bytes in it. */
  filling: boolean;
}

/** The pooled bytes of one frame: its blocks, in order, from `start` in the first to `end` in the last. */
export interface PooledFrame {
  readonly blocks: StreamBlock[];
  start: number;
  end: number;
}

/**
 * One connection's frames packed one after another into pool blocks, so a 4 KiB WRITE takes
 * 4 KiB of a block, not a block (nor a Buffer) of its own. A block goes back to the pool once no
 * message in it is unreleased and no frame is being received into it. Accounting is by block:
 * `heldBytes` counts every block a delivered message keeps, whole.
 */
export class ReceiveBlocks implements ReceiveLedger {
  private current: StreamBlock | null = null;
  private used = 0;
  private heldBlocks = 0;
  private reservedBytes = 0;

  constructor(private readonly pool: ReceivePool) {}

  get heldBytes(): number {
    return this.heldBlocks * this.pool.blockBytes + this.reservedBytes;
  }

  /**
   * Count `bytes` as held before they arrive: a message handed over before its data
   * (IncomingWrite) will hold that much, here or in the memory its handler names, until it
   * gives them back with unreserve().
   */
  reserve(bytes: number): void {
    this.reservedBytes += bytes;
  }

  unreserve(bytes: number): void {
    this.reservedBytes -= bytes;
  }

  /**
   * A frame of `length` bytes to append() to. One that fits in a block but not in what is left
   * of the current one starts a new block: a message in one piece takes the plain store path.
   */
  begin(length: number): PooledFrame {
    const block = this.current;
    if (block !== null && this.used + length > block.memory.length && length <= block.memory.length) {
      this.current = null;
      this.giveIfUnused(block);
    }
    return { blocks: [], start: 0, end: 0 };
  }

  /** Copy `bytes` (transient: the socket's shared read buffer) to the end of the frame. */
  append(frame: PooledFrame, bytes: Buffer): void {
    for (let at = 0; at < bytes.length; ) {
      let block = this.current;
      if (block === null || this.used === block.memory.length) {
        block = { memory: this.pool.take(), messages: 0, filling: false };
        this.current = block;
        this.used = 0;
      }
      if (!block.filling) {
        block.filling = true;
        if (frame.blocks.length === 0) frame.start = this.used;
        frame.blocks.push(block);
      }
      const n = bytes.copy(block.memory, this.used, at);
      this.used += n;
      frame.end = this.used;
      at += n;
    }
  }

  /**
   * The frame is complete: views of its bytes, and a release to run once they are no longer
   * read (its blocks are held for it until then; running it twice is harmless).
   */
  deliver(frame: PooledFrame): { views: Buffer[]; release: () => void } {
    const { blocks } = frame;
    const views = blocks.map((block, k) => block.memory.subarray(k === 0 ? frame.start : 0, k === blocks.length - 1 ? frame.end : block.memory.length));
    for (const block of blocks) {
      block.filling = false;
      if (block.messages++ === 0) this.heldBlocks++;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      for (const block of blocks) {
        if (--block.messages === 0) this.heldBlocks--;
        this.giveIfUnused(block);
      }
    };
    return { views, release };
  }

  /** The frame will never complete (connection closed): its blocks are no longer filled for it. */
  abandon(frame: PooledFrame): void {
    for (const block of frame.blocks) {
      block.filling = false;
      this.giveIfUnused(block);
    }
    frame.blocks.length = 0;
  }

  private giveIfUnused(block: StreamBlock): void {
    if (block.messages > 0 || block.filling) return;
    if (this.current === block) this.current = null;
    this.pool.give(block.memory);
  }
}
