import type { ChunkRegion, FileIo, FileIoProvider, FillTargets, ReadPayload, WriteFromResult, WriteOptions } from '../server/file-io.js';
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

  write(offset: number, data: Buffer, options: WriteOptions = {}): Promise<number> {
    if (!this.handle.writable) return Promise.reject(new Error('cache: handle was opened read-only'));
    return this.cache.write(this.handle, offset, data, options);
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
