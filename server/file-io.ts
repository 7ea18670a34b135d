import type { DataPath } from './telemetry.js';

/**
 * Where one chunk's bytes sit in registered memory: a page-cache slab (registered once as a
 * memory region, see PageCache.onSlab) and the byte offset inside it. SMB Direct builds its
 * SGEs `{addr: slab MR addr + offset, length, lkey}` from it without looking Buffers up.
 */
export interface ChunkRegion {
  readonly slabId: number;
  readonly offset: number;
}

/** The bytes of a READ as the transport sees them: chunks and, for each, its region (null = unregistered memory). */
export interface PayloadData {
  readonly chunks: readonly Buffer[];
  /** Parallel to chunks; absent means every chunk is unregistered (heap) memory. */
  readonly regions?: readonly (ChunkRegion | null)[];
}

/**
 * File data for one READ, as a gather list. With the page cache these are views of
 * cache pages (zero-copy) that stay valid and unchanged until `release()`;
 * the transport writes them out as they are, never concatenated.
 */
export interface ReadPayload extends PayloadData {
  chunks: Buffer[];
  regions?: (ChunkRegion | null)[];
  /** Sum of chunk lengths; shorter than asked at end of file. */
  length: number;
  /** 'zerocopy' when no byte was copied, else 'copy' (some or all chunks are copies). */
  path: DataPath;
  /** Why the bytes were copied (e.g. 'mapped', 'dirty'; the first reason when there are several); absent on the zero-copy path. */
  copyReason?: string;
  /**
   * Bytes that were copied, by reason; the rest of `length` went zero-copy (the cache decides
   * page by page). Absent: every byte follows `path`, copied ones for `copyReason`.
   */
  copiedByReason?: Readonly<Record<string, number>>;
  /** Drop the page references; safe to call more than once. */
  release(): void;
}

/**
 * The copied part of `bytes` delivered bytes of `payload`, by reason; the rest was zero-copy.
 * When fewer bytes than the payload reached the client, the copied reasons are counted first.
 */
export function copiedBytesOf(payload: Pick<ReadPayload, 'path' | 'copyReason' | 'copiedByReason'>, bytes: number): Record<string, number> {
  const breakdown = payload.copiedByReason ?? (payload.path === 'copy' ? { [payload.copyReason ?? 'other']: bytes } : {});
  const copied: Record<string, number> = {};
  let left = bytes;
  for (const [reason, n] of Object.entries(breakdown)) {
    const take = Math.min(n, left);
    if (take <= 0) continue;
    copied[reason] = take;
    left -= take;
  }
  return copied;
}

export interface WriteOptions {
  /** SMB2_WRITEFLAG_WRITE_THROUGH, or an open with FILE_WRITE_THROUGH: durable before the answer. */
  writeThrough?: boolean;
}

/** Where a transport puts one piece of a WRITE's data: registered memory (region) or a heap Buffer (region null). */
export interface FillTarget {
  readonly bytes: Buffer;
  readonly region: ChunkRegion | null;
}

/**
 * The targets' memory as views, in order, neighbours in one ArrayBuffer joined into one view:
 * fresh pages handed out in slab order are a few large spans, not one per page.
 */
export function targetSpans(targets: readonly FillTarget[]): Buffer[] {
  const spans: Buffer[] = [];
  let start: Buffer | null = null;
  let length = 0;
  for (const { bytes } of targets) {
    if (start && bytes.buffer === start.buffer && bytes.byteOffset === start.byteOffset + length) {
      length += bytes.length;
      continue;
    }
    if (start) spans.push(Buffer.from(start.buffer, start.byteOffset, length));
    start = bytes;
    length = bytes.length;
  }
  if (start) spans.push(Buffer.from(start.buffer, start.byteOffset, length));
  return spans;
}

/** Fills the targets, in order, with a WRITE's bytes; resolves with how many landed in region targets without a copy. */
export type FillTargets = (targets: FillTarget[]) => Promise<number>;

export interface WriteFromResult {
  /** Bytes written. */
  count: number;
  /** Bytes the transport placed straight into the memory that now holds them (cache pages). */
  placedBytes: number;
}

/** Data access for one open handle. Several handles on one file share state inside the provider. */
export interface FileIo {
  read(offset: number, length: number): Promise<ReadPayload>;
  /**
   * Returns bytes written, once they are in the kernel (unless the provider was set up for
   * write-behind). Extends the file when writing past its end. `writeThrough` adds fdatasync.
   * `data` may be the pieces a message arrived in, in order (written as one range, never joined).
   */
  write(offset: number, data: Buffer | readonly Buffer[], options?: WriteOptions): Promise<number>;
  /**
   * Like write(), for data a transport delivers (SMB Direct RDMA READ): the provider hands `fill`
   * the memory the bytes should land in. If `fill` rejects, the file is unchanged.
   * Absent when the provider has no registered memory to offer (the handler then uses write()).
   */
  writeFrom?(offset: number, length: number, fill: FillTargets, options?: WriteOptions): Promise<WriteFromResult>;
  /** After it resolves, everything written through any handle of this file is on disk. */
  flush(): Promise<void>;
  /** Truncate or extend. */
  setSize(size: number): Promise<void>;
  /** Current size including unflushed writes. */
  size(): number;
  /** This handle is done; the last close of a file writes its dirty data back. */
  close(): Promise<void>;
}

export interface FileIoProvider {
  /**
   * Open the data of an existing regular file (the server has already created it if needed)
   * through `fd`, a descriptor of it opened read-write when `writable`, else read-only (never
   * O_PATH). The provider owns `fd` from then on, even when open() fails: it closes it.
   */
  open(fd: number, options: { writable: boolean }): Promise<FileIo>;
  /** Write back everything dirty (shutdown). */
  flushAll(): Promise<void>;
}
