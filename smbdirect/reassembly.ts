// Fragmentation and reassembly of upper-layer messages, [MS-SMBD] 3.1.4.1 and 3.1.5.8:
// a message longer than one send goes out as fragments whose RemainingDataLength counts
// down to 0; the receiver rebuilds it, never beyond MaxFragmentedSize.

/** DataLength and RemainingDataLength of each fragment of a `total`-byte message. */
export function fragmentSizes(total: number, maxData: number): Array<{ dataLength: number; remaining: number }> {
  if (maxData <= 0) throw new Error(`no room for data in a send of this size (${maxData})`);
  const out: Array<{ dataLength: number; remaining: number }> = [];
  let left = total;
  do {
    const dataLength = Math.min(maxData, left);
    left -= dataLength;
    out.push({ dataLength, remaining: left });
  } while (left > 0);
  return out;
}

export type ReassemblyResult = { message: Buffer } | { error: string } | null;

/** Rebuilds messages from fragments; one partial message at a time. */
export class Reassembly {
  private partial: { buf: Buffer; filled: number } | null = null;

  constructor(private maxFragmentedSize: number) {}

  /** The largest message accepted from now on (a partial message already started keeps its size). */
  get limit(): number {
    return this.maxFragmentedSize;
  }

  set limit(bytes: number) {
    this.maxFragmentedSize = bytes;
  }

  /** Bytes held for a message not complete yet. */
  get bufferedBytes(): number {
    return this.partial?.buf.length ?? 0;
  }

  /**
   * One received fragment (data is a view into a receive buffer that will be reused, so it
   * is copied). Returns the whole message when this was its last fragment.
   */
  add(data: Buffer, remaining: number): ReassemblyResult {
    if (data.length === 0) return remaining === 0 ? null : { error: 'empty fragment with RemainingDataLength set' };
    const p = this.partial;
    if (!p) {
      const total = data.length + remaining;
      if (total > this.maxFragmentedSize) return { error: `fragmented message of ${total} bytes > ${this.maxFragmentedSize}` };
      if (remaining === 0) return { message: Buffer.from(data) };
      const buf = Buffer.allocUnsafe(total);
      buf.set(data);
      this.partial = { buf, filled: data.length };
      return null;
    }
    const left = p.buf.length - p.filled;
    if (data.length + remaining !== left) {
      return { error: `fragment of ${data.length} bytes with ${remaining} remaining does not continue a message with ${left} bytes left` };
    }
    p.buf.set(data, p.filled);
    p.filled += data.length;
    if (remaining > 0) return null;
    this.partial = null;
    return { message: p.buf };
  }
}
