import { Reader, Writer, DecodeError } from '../../wire/index.js';

/**
 * NDR 2.0 transfer syntax (32-bit, little-endian data representation), [C706] 14 and [MS-RPCE] 2.2.5.
 * Alignment is measured from the start of the stub data, which is where these start.
 */

/** First referent id, as Windows and Samba number unique pointers; later ones step by 4. */
const FIRST_REFERENT_ID = 0x00020000;

export class NdrWriter {
  readonly w = new Writer(0, 512);
  private nextReferent = FIRST_REFERENT_ID;

  u32(v: number): this {
    this.w.align(4).u32(v);
    return this;
  }

  /** A unique or full pointer: a fresh referent id, or 0 for NULL, [C706] 14.3.10. */
  pointer(present: boolean): this {
    if (!present) return this.u32(0);
    const id = this.nextReferent;
    this.nextReferent += 4;
    return this.u32(id);
  }

  /**
   * A conformant varying string of UTF-16 code units with its terminating NUL ([string] wchar_t*),
   * [C706] 14.3.4: MaximumCount, Offset, ActualCount, then the characters.
   */
  string(s: string): this {
    const units = s.length + 1;
    this.u32(units).u32(0).u32(units);
    this.w.utf16(s).u16(0);
    return this;
  }

  finish(): Buffer {
    return this.w.finish();
  }
}

/** Errors in stub data become DCE/RPC faults, not SMB errors; the code is the fault status. */
export class NdrError extends DecodeError {}

export class NdrReader {
  readonly r: Reader;

  constructor(stub: Buffer) {
    this.r = new Reader(stub);
  }

  u32(): number {
    this.r.align(4);
    return this.r.u32();
  }

  /** A unique pointer's referent id; 0 means NULL. */
  pointer(): boolean {
    return this.u32() !== 0;
  }

  /** A conformant varying [string] wchar_t*; the NUL, if sent, is dropped. */
  string(): string {
    const max = this.u32();
    const offset = this.u32();
    const actual = this.u32();
    if (offset !== 0 || actual > max) throw new NdrError(`bad string counts max=${max} offset=${offset} actual=${actual}`);
    const text = this.r.utf16(actual * 2);
    return text.endsWith('\0') ? text.slice(0, -1) : text;
  }

  /** A unique pointer to a string; undefined when NULL. */
  optionalString(): string | undefined {
    return this.pointer() ? this.string() : undefined;
  }
}
