import { DecodeError } from './decode-error.js';

/**
 * Bounds-checked little-endian reader over a Buffer.
 *
 * Positions are absolute within `buf` (SMB2 offsets count from the start of the
 * header, so a reader over a whole message can resolve them with `slice`).
 * Every read past `end` throws DecodeError; nothing is ever read out of bounds.
 */
export class Reader {
  private pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    readonly end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new DecodeError(`reader bounds ${start}..${end} outside ${buf.length}`);
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError(`truncated: need ${n} bytes at ${this.pos}, have ${this.end - this.pos}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buf.readUInt16LE(this.take(2));
  }

  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }

  i32(): number {
    return this.buf.readInt32LE(this.take(4));
  }

  u64(): bigint {
    return this.buf.readBigUInt64LE(this.take(8));
  }

  /** A 64-bit field that must fit a JS number (file offsets, sizes). */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`64-bit value ${v} too large`);
    return Number(v);
  }

  /** A view (no copy) of the next n bytes. */
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  skip(n: number): void {
    this.take(n);
  }

  /** Move to an absolute position inside this reader's window. */
  seek(position: number): void {
    if (position < 0 || position > this.end) throw new DecodeError(`seek to ${position} outside 0..${this.end}`);
    this.pos = position;
  }

  /** Skip forward to the next multiple of `n` (clamped to the end). */
  align(n: number): void {
    const next = Math.ceil(this.pos / n) * n;
    this.pos = Math.min(next, this.end);
  }

  utf16(byteLength: number): string {
    if (byteLength % 2 !== 0) throw new DecodeError(`odd UTF-16 length ${byteLength}`);
    return this.bytes(byteLength).toString('utf16le');
  }

  /**
   * A bounds-checked view of [offset, offset+length) in absolute positions of this
   * reader's window, for the spec's Offset/Length field pairs. Length 0 is always fine.
   */
  slice(offset: number, length: number): Buffer {
    if (length === 0) return this.buf.subarray(0, 0);
    if (offset < 0 || length < 0 || offset + length > this.end) {
      throw new DecodeError(`field [${offset}, +${length}) outside message of ${this.end} bytes`);
    }
    return this.buf.subarray(offset, offset + length);
  }

  /** A new reader over [offset, offset+length) in absolute positions. */
  sub(offset: number, length: number): Reader {
    this.slice(offset, length);
    return new Reader(this.buf, offset, offset + length);
  }
}
