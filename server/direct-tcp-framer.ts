import type { Socket } from 'node:net';
import { DecodeError } from '../wire/index.js';

/** Direct-TCP transport header, [MS-SMB2] 2.1: a zero byte and a 24-bit big-endian length. */
export const DIRECT_TCP_HEADER_SIZE = 4;
/** The largest message a 24-bit length can frame. */
export const DIRECT_TCP_MAX_MESSAGE = 0xffffff;

export function directTcpHeader(length: number): Buffer {
  if (length > DIRECT_TCP_MAX_MESSAGE) throw new RangeError(`SMB2 message of ${length} bytes exceeds direct-TCP framing`);
  const h = Buffer.allocUnsafe(DIRECT_TCP_HEADER_SIZE);
  h.writeUInt32BE(length, 0);
  return h;
}

/**
 * Write one frame: the 4-byte header then every part, corked so the kernel sees one writev.
 * Parts are written as they are (file data from the page cache is never concatenated).
 * A frame that cannot be framed is refused before anything is corked or written.
 */
export function writeDirectTcpFrame(socket: Socket, parts: Buffer[]): Promise<void> {
  let length = 0;
  for (const p of parts) length += p.length;
  let header: Buffer;
  try {
    header = directTcpHeader(length);
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    socket.cork();
    try {
      socket.write(header);
      for (let i = 0; i < parts.length - 1; i++) socket.write(parts[i]);
      socket.write(parts[parts.length - 1] ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    } finally {
      socket.uncork();
    }
  });
}

/**
 * Reassembles direct-TCP frames from arbitrary stream chunks. Small frames that arrive
 * whole are returned as views of the chunk; others are gathered from the chunks as they
 * come and joined once complete: memory follows the bytes received, never the length a
 * peer announces.
 */
export class DirectTcpFramer {
  private header = Buffer.alloc(DIRECT_TCP_HEADER_SIZE);
  private headerHave = 0;
  /** Length of the frame being gathered, or -1 between frames. */
  private want = -1;
  private pieces: Buffer[] = [];
  private have = 0;

  constructor(private maxMessageBytes: number) {}

  /** Frames announced larger than this are refused from now on. */
  setMaxMessageBytes(bytes: number): void {
    this.maxMessageBytes = bytes;
  }

  /** Bytes held for an incomplete frame (its header included). */
  get buffered(): number {
    return this.headerHave + this.have;
  }

  /** True while a frame has started and not completed. */
  get partial(): boolean {
    return this.headerHave > 0 || this.want >= 0;
  }

  /** Feed one chunk; returns the whole messages it completes. Throws DecodeError on a bad frame. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.want < 0) {
        if (this.headerHave === 0 && chunk.length - at >= DIRECT_TCP_HEADER_SIZE) {
          const length = this.checkLength(chunk.readUInt32BE(at));
          at += DIRECT_TCP_HEADER_SIZE;
          if (chunk.length - at >= length) {
            out.push(chunk.subarray(at, at + length));
            at += length;
            continue;
          }
          this.want = length;
          continue;
        }
        const n = Math.min(DIRECT_TCP_HEADER_SIZE - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + n);
        this.headerHave += n;
        at += n;
        if (this.headerHave === DIRECT_TCP_HEADER_SIZE) {
          this.headerHave = 0;
          this.want = this.checkLength(this.header.readUInt32BE(0));
          if (this.want === 0) out.push(this.takeBody());
        }
        continue;
      }
      const n = Math.min(this.want - this.have, chunk.length - at);
      this.pieces.push(chunk.subarray(at, at + n)); // net hands out a fresh buffer per read: a view is safe
      this.have += n;
      at += n;
      if (this.have === this.want) out.push(this.takeBody());
    }
    return out;
  }

  private checkLength(word: number): number {
    if (word >>> 24 !== 0) throw new DecodeError('direct-TCP frame does not start with a zero byte');
    if (word > this.maxMessageBytes) throw new DecodeError(`direct-TCP frame of ${word} bytes exceeds ${this.maxMessageBytes}`);
    return word;
  }

  private takeBody(): Buffer {
    const body = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces, this.want);
    this.pieces = [];
    this.have = 0;
    this.want = -1;
    return body;
  }
}
