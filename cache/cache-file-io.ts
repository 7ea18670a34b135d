import { targetSpans, type ChunkRegion, type FileIo, type FileIoProvider, type FillTarget, type FillTargets, type ReadPayload, type WriteFromResult, type WriteOptions } from '../server/file-io.js';
import type { CacheHandle, PageCache } from './page-cache.js';
import type { Bvec } from './bvec.js';

/**
 * The transport's view of spliced bvecs: a Buffer view per bvec (no copy) for writev, and where
 * it sits in its slab for SMB Direct's SGEs; a heap copy (slabId -1) has no region.
 */
export function payloadData(bvecs: readonly Bvec[]): { chunks: Buffer[]; regions: (ChunkRegion | null)[] } {
  const chunks = new Array<Buffer>(bvecs.length);
  const regions = new Array<ChunkRegion | null>(bvecs.length);
  for (let i = 0; i < bvecs.length; i++) {
    const bvec = bvecs[i];
    chunks[i] = bvec.bytes();
    regions[i] = bvec.slabId < 0 ? null : { slabId: bvec.slabId, offset: bvec.slabOffset };
  }
  return { chunks, regions };
}

/**
 * Copy `pieces`, in order, into the targets, in order, until either runs out; returns the bytes
 * copied. Targets that follow one another in memory (fresh pages handed out in slab order) are
 * filled as one, so an 8 MiB WRITE is a few large copies rather than one per page.
 */
export function copyPieces(pieces: readonly Buffer[], targets: readonly FillTarget[]): number {
  let p = 0;
  let pAt = 0;
  let copied = 0;
  for (const span of targetSpans(targets)) {
    let tAt = 0;
    while (tAt < span.length && p < pieces.length) {
      const n = pieces[p].copy(span, tAt, pAt);
      tAt += n;
      pAt += n;
      copied += n;
      if (pAt === pieces[p].length) {
        p++;
        pAt = 0;
      }
    }
    if (p === pieces.length) break;
  }
  return copied;
}

/** The SMB core's view of the page cache: READ payloads are the spliced page views themselves. */
export class CacheFileIoProvider implements FileIoProvider {
  constructor(private readonly cache: PageCache) {}

  /** `target`: a descriptor the cache takes over (the server's way), or a name the cache opens itself. */
  async open(target: number | string, options: { writable: boolean }): Promise<FileIo> {
    const handle = await this.cache.open(target, { writable: options.writable });
    return new CacheFileIo(this.cache, handle);
  }

  flushAll(): Promise<void> {
    return this.cache.flushAll();
  }
}

class CacheFileIo implements FileIo {
  constructor(
    private readonly cache: PageCache,
    private readonly handle: CacheHandle,
  ) {}

  async read(offset: number, length: number): Promise<ReadPayload> {
    const result = await this.cache.spliceToBvecs(this.handle, offset, length);
    const { chunks, regions } = payloadData(result.bvecs);
    let released = false;
    const payload: ReadPayload = {
      chunks,
      regions,
      length: result.length,
      path: result.reason === null ? 'zerocopy' : 'copy',
      release: () => {
        if (released) return;
        released = true;
        this.cache.release(result);
      },
    };
    if (result.reason !== null) {
      payload.copyReason = result.reason;
      payload.copiedByReason = result.copiedByReason;
    }
    return payload;
  }

  /**
   * One Buffer takes the ordinary store path. Pieces (a message as it arrived) are copied once,
   * each straight into the fresh page that will hold its bytes (writeFrom), never joined first.
   */
  async write(offset: number, data: Buffer | readonly Buffer[], options: WriteOptions = {}): Promise<number> {
    if (!this.handle.writable) throw new Error('cache: handle was opened read-only');
    if (Buffer.isBuffer(data)) return this.cache.write(this.handle, offset, data, options);
    if (data.length === 1) return this.cache.write(this.handle, offset, data[0], options);
    let length = 0;
    for (const piece of data) length += piece.length;
    const fill = async (targets: FillTarget[]): Promise<number> => {
      copyPieces(data, targets);
      return 0;
    };
    return (await this.cache.writeFrom(this.handle, offset, length, fill, options)).count;
  }

  /** Whole pages of the range are filled in fresh registered cache pages (SMB Direct RDMA READ), the rest in heap Buffers. */
  writeFrom(offset: number, length: number, fill: FillTargets, options: WriteOptions = {}): Promise<WriteFromResult> {
    if (!this.handle.writable) return Promise.reject(new Error('cache: handle was opened read-only'));
    return this.cache.writeFrom(this.handle, offset, length, fill, options);
  }

  flush(): Promise<void> {
    return this.cache.flush(this.handle);
  }

  setSize(size: number): Promise<void> {
    if (!this.handle.writable) return Promise.reject(new Error('cache: handle was opened read-only'));
    return this.cache.setSize(this.handle, size);
  }

  size(): number {
    return this.cache.size(this.handle);
  }

  close(): Promise<void> {
    return this.cache.close(this.handle);
  }
}
