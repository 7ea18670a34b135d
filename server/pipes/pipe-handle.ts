/**
 * A named-pipe server endpoint: it receives the bytes a client writes and produces the messages
 * the client reads back. New pipes implement this and register in pipe-registry.ts.
 */
export interface PipeEndpoint {
  receive(data: Buffer): Buffer[];
}

export interface PipeRead {
  data: Buffer;
  /** The current message did not fit: STATUS_BUFFER_OVERFLOW, the rest comes with the next read, [MS-SMB2] 3.3.5.12. */
  more: boolean;
}

/** One open of a message-mode pipe: what the endpoint produced waits here until the client reads it. */
export class PipeHandle {
  private outbox: Buffer[] = [];

  constructor(
    readonly name: string,
    private readonly endpoint: PipeEndpoint,
  ) {}

  get pendingMessages(): number {
    return this.outbox.length;
  }

  write(data: Buffer): void {
    this.outbox.push(...this.endpoint.receive(Buffer.from(data)));
  }

  /** Up to `max` bytes of the next message; undefined when nothing waits. */
  read(max: number): PipeRead | undefined {
    const message = this.outbox[0];
    if (!message) return undefined;
    if (message.length <= max) {
      this.outbox.shift();
      return { data: message, more: false };
    }
    this.outbox[0] = message.subarray(max);
    return { data: message.subarray(0, max), more: true };
  }

  /** FSCTL_PIPE_TRANSCEIVE: a write and a read in one exchange, [MS-FSCC] 2.3.49. */
  transceive(input: Buffer, max: number): PipeRead | undefined {
    this.write(input);
    return this.read(max);
  }
}
