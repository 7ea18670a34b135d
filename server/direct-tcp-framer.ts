import type { Socket } from 'node:net';
import { DecodeError } from '../wire/index.js';

/** Direct-TCP transport header, [MS-SMB2] 2.1: a zero byte and a 24-bit big-endian length. */
export const DIRECT_TCP_HEADER_SIZE = 4;

export function directTcpHeader(length: number): Buffer {
  if (length > 0xffffff) throw new RangeError(`SMB2 message of ${length} bytes exceeds direct-TCP framing`);
  const h = Buffer.allocUnsafe(4);
  h.writeUInt32BE(length, 0);
  return h;
}

/**
 * Write one frame: the 4-byte header then every part, corked so the kernel sees one writev.
 * Parts are written as they are (file data from the page cache is never concatenated).
 */
export function writeDirectTcpFrame(socket: Socket, parts: Buffer[]): Promise<void> {
  let length = 0;
  for (const p of parts) length += p.length;
  return new Promise((resolve, reject) => {
    socket.cork();
    socket.write(directTcpHeader(length));
    for (let i = 0; i < parts.length - 1; i++) socket.write(parts[i]);
    socket.write(parts[parts.length - 1] ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    socket.uncork();
  });
}

/**
 * Reassembles direct-TCP frames from arbitrary stream chunks. Small frames that arrive
 * whole are returned as views of the chunk; others are gathered into one buffer of the
 * announced size (allocated once).
 */
export class DirectTcpFramer {
  private header = Buffer.alloc(4);
  private headerHave = 0;
  private body: Buffer | null = null;
  private bodyHave = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feed one chunk; returns the whole messages it completes. Throws DecodeError on a bad frame. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.body === null) {
        if (this.headerHave === 0 && chunk.length - at >= 4) {
          const length = this.checkLength(chunk.readUInt32BE(at));
          at += 4;
          if (chunk.length - at >= length) {
            out.push(chunk.subarray(at, at + length));
            at += length;
            continue;
          }
          this.startBody(length);
          continue;
        }
        const n = Math.min(4 - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + n);
        this.headerHave += n;
        at += n;
        if (this.headerHave === 4) {
          this.headerHave = 0;
          const length = this.checkLength(this.header.readUInt32BE(0));
          this.startBody(length);
          if (length === 0) out.push(this.takeBody());
        }
        continue;
      }
      const n = Math.min(this.body.length - this.bodyHave, chunk.length - at);
      chunk.copy(this.body, this.bodyHave, at, at + n);
      this.bodyHave += n;
      at += n;
      if (this.bodyHave === this.body.length) out.push(this.takeBody());
    }
    return out;
  }

  private checkLength(word: number): number {
    if (word >>> 24 !== 0) throw new DecodeError('direct-TCP frame does not start with a zero byte');
    if (word > this.maxMessageBytes) throw new DecodeError(`direct-TCP frame of ${word} bytes exceeds ${this.maxMessageBytes}`);
    return word;
  }

  private startBody(length: number): void {
    this.body = Buffer.allocUnsafe(length);
    this.bodyHave = 0;
  }

  private takeBody(): Buffer {
    const b = this.body as Buffer;
    this.body = null;
    this.bodyHave = 0;
    return b;
  }
}
