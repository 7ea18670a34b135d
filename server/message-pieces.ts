import { DecodeError, Reader } from '../wire/index.js';
import { Command, HeaderFlag } from '../smb2/constants.js';
import { decodeHeader, type Smb2Header } from '../smb2/header.js';
import type { ReceiveLedger } from './receive-pool.js';
import { IncomingWrite, WRITE_HEAD_BYTES } from './incoming-write.js';

/**
 * A received message held in pieces (a large direct-TCP frame: pooled receive blocks, or views of
 * the socket's chunks), never joined unless a stage needs it whole. Positions are absolute within
 * the message and every range is bounds-checked, as Reader.slice does for a contiguous message.
 */
export class MessagePieces {
  readonly length: number;
  private released = false;

  /**
   * `onRelease`: runs once, when the message is done with (pooled receive blocks go back);
   * `ledger`: what the connection's pooled receive blocks hold, counted instead of the length.
   */
  constructor(
    readonly pieces: readonly Buffer[],
    private readonly onRelease?: () => void,
    readonly ledger?: ReceiveLedger,
  ) {
    let length = 0;
    for (const piece of pieces) length += piece.length;
    this.length = length;
  }

  /**
   * The first `n` bytes (all, when the message is shorter), copied into a Buffer of their own:
   * what is decoded from it (a header's signature view) outlives the pieces.
   */
  head(n: number): Buffer {
    const want = Math.min(n, this.length);
    return Buffer.concat(this.slice(0, want), want);
  }

  /** The message has been processed: no view of its pieces is read any more. Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease?.();
  }

  /** Bytes [offset, offset + length) as views of the pieces, in order (no copy); DecodeError outside the message. */
  slice(offset: number, length: number): Buffer[] {
    if (length === 0) return [];
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.length) {
      throw new DecodeError(`field [${offset}, +${length}) outside message of ${this.length} bytes`);
    }
    const out: Buffer[] = [];
    let start = 0;
    for (const piece of this.pieces) {
      const end = start + piece.length;
      const from = Math.max(offset, start);
      const to = Math.min(offset + length, end);
      if (from < to) out.push(piece.subarray(from - start, to - start));
      if (end >= offset + length) break;
      start = end;
    }
    return out;
  }

  /** The whole message in one Buffer of its own (one copy). */
  join(): Buffer {
    return Buffer.concat(this.pieces as Buffer[], this.length);
  }
}

/**
 * What a transport delivers: a whole message in one Buffer, or (direct TCP, large frames) its
 * pieces, or a large WRITE whose data is still arriving.
 */
export type ReceivedMessage = Buffer | MessagePieces | IncomingWrite;

/** What contiguousPart makes of a message: the part the pipeline decodes, and where a WRITE's data is. */
export interface ContiguousPart {
  message: Buffer;
  /** The whole message as it arrived, when only its head is in `message`. */
  pieces?: MessagePieces;
  /** The WRITE whose data is still arriving; `message` is its head. */
  incoming?: IncomingWrite;
}

/**
 * What the pipeline decodes in one Buffer, and the pieces a WRITE's data may stay in. Only a lone
 * (NextCommand 0), unsigned SMB2 WRITE keeps its pieces: a signature covers the whole message
 * and a compound is cut at offsets, so anything else is joined here, once.
 */
export function contiguousPart(m: ReceivedMessage): ContiguousPart {
  if (Buffer.isBuffer(m)) return { message: m };
  if (m instanceof IncomingWrite) return { message: m.head, incoming: m };
  // A message in one piece (a frame that fit one receive block) is decoded where it lies.
  const head = m.pieces.length === 1 ? m.pieces[0].subarray(0, WRITE_HEAD_BYTES) : m.head(WRITE_HEAD_BYTES);
  let header: Smb2Header;
  try {
    header = decodeHeader(new Reader(head));
  } catch {
    return { message: m.join() };
  }
  const lone = header.command === Command.WRITE && header.nextCommand === 0 && !(header.flags & HeaderFlag.SIGNED);
  return lone && head.length === WRITE_HEAD_BYTES ? { message: head, pieces: m } : { message: m.join() };
}
