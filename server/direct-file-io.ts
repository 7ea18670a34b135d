import { close, fdatasync, fstat, ftruncate, read, writev } from 'node:fs';
import { promisify } from 'node:util';
import type { FileIo, FileIoProvider, ReadPayload, WriteOptions } from './file-io.js';

const readAsync = promisify(read) as unknown as (fd: number, buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesRead: number }>;
const writevAsync = (fd: number, buffers: readonly Buffer[], position: number): Promise<number> =>
  new Promise((resolve, reject) => writev(fd, buffers as Buffer[], position, (err, bytesWritten) => (err ? reject(err) : resolve(bytesWritten))));
const fdatasyncAsync = promisify(fdatasync);
const ftruncateAsync = promisify(ftruncate);
const closeAsync = promisify(close);
const fstatAsync = (fd: number): Promise<{ dev: bigint; ino: bigint; size: bigint }> =>
  new Promise((resolve, reject) => fstat(fd, { bigint: true }, (err, st) => (err ? reject(err) : resolve(st))));

/** Shared per-file state so several handles see one size. */
interface FileState {
  refs: number;
  size: number;
}

/** One open handle: positional reads and writes on its own descriptor, which it owns. */
class DirectFileIo implements FileIo {
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly state: FileState,
    private readonly onLastClose: () => void,
  ) {}

  async read(offset: number, length: number): Promise<ReadPayload> {
    const want = Math.max(0, Math.min(length, this.state.size - offset));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await readAsync(this.fd, buf, got, want - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = got === want ? buf : buf.subarray(0, got);
    return { chunks: got ? [data] : [], length: got, path: 'copy', copyReason: 'direct', release() {} };
  }

  /** One pwritev for the pieces as they came (no copy), repeated for what a short write left. */
  async write(offset: number, data: Buffer | readonly Buffer[], options: WriteOptions = {}): Promise<number> {
    let rest = Buffer.isBuffer(data) ? [data] : data;
    let done = 0;
    while (rest.length > 0) {
      let written = await writevAsync(this.fd, rest, offset + done);
      done += written;
      let k = 0;
      while (k < rest.length && written >= rest[k].length) written -= rest[k++].length;
      rest = rest.slice(k);
      if (written > 0) rest = [rest[0].subarray(written), ...rest.slice(1)];
    }
    this.state.size = Math.max(this.state.size, offset + done);
    if (options.writeThrough) await fdatasyncAsync(this.fd);
    return done;
  }

  async flush(): Promise<void> {
    await fdatasyncAsync(this.fd);
  }

  async setSize(size: number): Promise<void> {
    await ftruncateAsync(this.fd, size);
    this.state.size = size;
  }

  size(): number {
    return this.state.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeAsync(this.fd);
    this.onLastClose();
  }
}

/** The provider without a cache: every read is a pread into a fresh buffer ('copy' path). */
export class DirectFileIoProvider implements FileIoProvider {
  private readonly files = new Map<string, FileState>();

  async open(fd: number, _options: { writable: boolean }): Promise<FileIo> {
    let st: { dev: bigint; ino: bigint; size: bigint };
    try {
      st = await fstatAsync(fd);
    } catch (err) {
      await closeAsync(fd).catch(() => undefined);
      throw err;
    }
    const key = `${st.dev}:${st.ino}`;
    const state = this.files.get(key) ?? { refs: 0, size: 0 };
    this.files.set(key, state);
    state.size = Number(st.size);
    state.refs++;
    return new DirectFileIo(fd, state, () => {
      if (--state.refs === 0 && this.files.get(key) === state) this.files.delete(key);
    });
  }

  async flushAll(): Promise<void> {}
}
