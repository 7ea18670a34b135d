import { open, type FileHandle } from 'node:fs/promises';
import type { FileIo, FileIoProvider, ReadPayload, WriteOptions } from './file-io.js';

/** Shared per-path state so several handles see one size. */
interface FileState {
  refs: number;
  size: number;
}

/** One open handle: positional reads and writes on its own fd. */
class DirectFileIo implements FileIo {
  private closed = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly state: FileState,
    private readonly onLastClose: () => void,
  ) {}

  async read(offset: number, length: number): Promise<ReadPayload> {
    const want = Math.max(0, Math.min(length, this.state.size - offset));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.fh.read(buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = got === want ? buf : buf.subarray(0, got);
    return { chunks: got ? [data] : [], length: got, path: 'copy', copyReason: 'direct', release() {} };
  }

  async write(offset: number, data: Buffer, options: WriteOptions = {}): Promise<number> {
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, offset + done);
      done += bytesWritten;
    }
    this.state.size = Math.max(this.state.size, offset + done);
    if (options.writeThrough) await this.fh.datasync();
    return done;
  }

  async flush(): Promise<void> {
    await this.fh.datasync();
  }

  async setSize(size: number): Promise<void> {
    await this.fh.truncate(size);
    this.state.size = size;
  }

  size(): number {
    return this.state.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
    this.onLastClose();
  }
}

/** The provider without a cache: every read is a pread into a fresh buffer ('copy' path). */
export class DirectFileIoProvider implements FileIoProvider {
  private readonly files = new Map<string, FileState>();

  async open(absolutePath: string, options: { writable: boolean }): Promise<FileIo> {
    const fh = await open(absolutePath, options.writable ? 'r+' : 'r');
    const st = await fh.stat({ bigint: true });
    const key = `${st.dev}:${st.ino}`;
    const state = this.files.get(key) ?? { refs: 0, size: 0 };
    this.files.set(key, state);
    state.size = Number(st.size);
    state.refs++;
    return new DirectFileIo(fh, state, () => {
      if (--state.refs === 0 && this.files.get(key) === state) this.files.delete(key);
    });
  }

  async flushAll(): Promise<void> {}
}
