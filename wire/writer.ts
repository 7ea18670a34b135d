/**
 * Growable little-endian writer.
 *
 * `base` is the logical position of the first byte written, so message code can
 * ask `position` for spec offsets (SMB2 offsets count from the header, which a
 * body writer starts 64 bytes after). Offsets and lengths that are only known
 * later are reserved with `reserveU16/U32` and back-filled with `fill*`.
 */
export class Writer {
  private buf: Buffer;
  private len = 0;

  constructor(
    readonly base = 0,
    initialSize = 256,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Logical position of the next byte (base + bytes written). */
  get position(): number {
    return this.base + this.len;
  }

  get length(): number {
    return this.len;
  }

  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u8(v: number): this {
    const at = this.room(1);
    this.buf.writeUInt8(v, at);
    return this;
  }

  u16(v: number): this {
    const at = this.room(2);
    this.buf.writeUInt16LE(v, at);
    return this;
  }

  u32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }

  i32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32LE(v, at);
    return this;
  }

  u64(v: bigint | number): this {
    const at = this.room(8);
    this.buf.writeBigUInt64LE(BigInt(v), at);
    return this;
  }

  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }

  zeros(n: number): this {
    const at = this.room(n);
    this.buf.fill(0, at, at + n);
    return this;
  }

  /** UTF-16LE code units as they are (2 bytes each), written in place. */
  utf16(s: string): this {
    const n = s.length * 2;
    const at = this.room(n);
    this.buf.write(s, at, n, 'utf16le');
    return this;
  }

  /** Pad with zeros to a multiple of n, measured in logical positions. */
  align(n: number): this {
    const pad = (n - (this.position % n)) % n;
    return this.zeros(pad);
  }

  /** Reserve a u8 to back-fill; returns its handle. */
  reserveU8(): number {
    const at = this.len;
    this.u8(0);
    return at;
  }

  /** Reserve a u16 to back-fill; returns its handle. */
  reserveU16(): number {
    const at = this.len;
    this.u16(0);
    return at;
  }

  reserveU32(): number {
    const at = this.len;
    this.u32(0);
    return at;
  }

  fillU8(handle: number, v: number): this {
    this.buf.writeUInt8(v, handle);
    return this;
  }

  fillU16(handle: number, v: number): this {
    this.buf.writeUInt16LE(v, handle);
    return this;
  }

  fillU32(handle: number, v: number): this {
    this.buf.writeUInt32LE(v >>> 0, handle);
    return this;
  }

  /** Back-fill a reserved u8 offset field with the current logical position (what comes next starts here). */
  fillOffsetU8(handle: number): this {
    return this.fillU8(handle, this.position);
  }

  /** Back-fill a reserved u16 offset field with the current logical position. */
  fillOffsetU16(handle: number): this {
    return this.fillU16(handle, this.position);
  }

  /** Back-fill a reserved u32 offset field with the current logical position. */
  fillOffsetU32(handle: number): this {
    return this.fillU32(handle, this.position);
  }

  /**
   * The bytes written so far: a view of the writer's storage, not a copy, so a finished
   * message needs no Buffer.from. The writer must not be used afterwards.
   */
  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
