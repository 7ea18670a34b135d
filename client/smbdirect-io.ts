// READ and WRITE with an RDMA channel ([MS-SMB2] 2.2.19/2.2.21, 3.2.4.6/3.2.4.7): the data
// moves by RDMA between the server and a buffer this client registered, described by one or
// several SMB2_BUFFER_DESC_V1 entries; with RDMA_V1_INVALIDATE the entries name a memory
// window the server invalidates when it answers. Requests go one at a time per file I/O object.
import { Channel, Command, CreateDisposition, CreateOption, Access } from '../smb2/constants.js';
import { encodeReadRequest, decodeReadResponse } from '../smb2/commands/read.js';
import { encodeWriteRequestHeader, decodeWriteResponse } from '../smb2/commands/write.js';
import type { BufferDescriptor } from '../smb2/commands/buffer-desc.js';
import type { FileId } from '../smb2/commands/create.js';
import type { Tree } from './tree.js';
import type { IoBuffer, SmbDirectClientTransport } from './smbdirect-transport.js';

export interface RdmaIoOptions {
  /** Buffer descriptors per request (default 1). */
  descriptors?: number;
  /** RDMA_V1_INVALIDATE with a memory window (default: RDMA_V1 with the region's key). */
  invalidate?: boolean;
  /** Bytes per request (default: the negotiated MaxReadWriteSize). */
  chunk?: number;
}

const CREDIT_UNIT = 65536;

/** `length` bytes at `base`, cut into `count` descriptors of nearly equal size (the last takes the rest). */
export function splitDescriptors(base: bigint, token: number, length: number, count: number): BufferDescriptor[] {
  const n = Math.max(1, Math.min(count, length));
  const size = Math.floor(length / n);
  return Array.from({ length: n }, (_, i) => ({
    offset: base + BigInt(i * size),
    token,
    length: i === n - 1 ? length - i * size : size,
  }));
}

export class SmbDirectFileIo {
  private buffer: IoBuffer | null = null;
  /** Requests answered without SEND_WITH_INV that we had to invalidate ourselves. */
  localInvalidations = 0;

  constructor(readonly tree: Tree, readonly transport: SmbDirectClientTransport) {}

  get maxIo(): number {
    return this.transport.negotiated.maxReadWriteSize;
  }

  private io(): IoBuffer {
    this.buffer ??= this.transport.registerBuffer(this.maxIo);
    return this.buffer;
  }

  /** Runs one request with descriptors over [0, length) of the buffer; invalidates the window if the server did not. */
  private async withDescriptors<T>(length: number, o: RdmaIoOptions, run: (descs: BufferDescriptor[], channel: number) => Promise<T>): Promise<T> {
    const io = this.io();
    if (!o.invalidate) return run(splitDescriptors(io.mr.addr, io.mr.rkey, length, o.descriptors ?? 1), Channel.RDMA_V1);
    const token = await this.transport.bindWindow(io, 0, length);
    const before = this.transport.invalidations;
    try {
      return await run(splitDescriptors(io.mr.addr, token, length, o.descriptors ?? 1), Channel.RDMA_V1_INVALIDATE);
    } finally {
      if (this.transport.invalidations === before && this.transport.conn.isOpen) {
        this.localInvalidations++;
        await this.transport.invalidate(token);
      }
    }
  }

  private request(command: number, body: Buffer, bytes: number) {
    const creditCharge = this.tree.client.largeMtu ? Math.max(1, Math.ceil(bytes / CREDIT_UNIT)) : 1;
    return this.tree.client.request(command, body, { treeId: this.tree.treeId, creditCharge });
  }

  /** One READ of up to MaxReadWriteSize; the server RDMA-WRITEs the data into our buffer. */
  async read(fileId: FileId, offset: number, length: number, o: RdmaIoOptions = {}): Promise<Buffer> {
    if (length > this.maxIo) throw new Error(`READ of ${length} > MaxReadWriteSize ${this.maxIo}`);
    return this.withDescriptors(length, o, async (channelInfo, channel) => {
      const body = encodeReadRequest({ flags: 0, length, offset, fileId, minimumCount: 0, channel, remainingBytes: 0, channelInfo });
      const r = await this.request(Command.READ, body, length);
      const res = decodeReadResponse(r.reader);
      if (res.dataLength > 0) return Buffer.from(res.data);
      if (res.dataRemaining > length) throw new Error(`server claims ${res.dataRemaining} bytes written into a ${length}-byte buffer`);
      return Buffer.from(this.io().bytes.subarray(0, res.dataRemaining));
    });
  }

  /** One WRITE of up to MaxReadWriteSize; the server RDMA-READs the data from our buffer. */
  async write(fileId: FileId, offset: number, data: Buffer, o: RdmaIoOptions = {}): Promise<number> {
    if (data.length > this.maxIo) throw new Error(`WRITE of ${data.length} > MaxReadWriteSize ${this.maxIo}`);
    data.copy(this.io().bytes);
    return this.withDescriptors(data.length, o, async (channelInfo, channel) => {
      const body = encodeWriteRequestHeader({ offset, fileId, channel, remainingBytes: data.length, flags: 0, channelInfo, length: 0 });
      const r = await this.request(Command.WRITE, body, data.length);
      return decodeWriteResponse(r.reader).count;
    });
  }

  async readFile(path: string, o: RdmaIoOptions = {}): Promise<Buffer> {
    const h = await this.tree.create(path);
    try {
      const size = Number(h.endOfFile);
      const out = Buffer.alloc(size);
      const chunk = o.chunk ?? this.maxIo;
      for (let at = 0; at < size; at += chunk) {
        const got = await this.read(h.fileId, at, Math.min(chunk, size - at), o);
        if (got.length === 0) return out.subarray(0, at);
        got.copy(out, at);
      }
      return out;
    } finally {
      await this.tree.close(h.fileId);
    }
  }

  async writeFile(path: string, data: Buffer, o: RdmaIoOptions = {}): Promise<void> {
    const h = await this.tree.create(path, {
      desiredAccess: (Access.GENERIC_WRITE | Access.GENERIC_READ) >>> 0, disposition: CreateDisposition.OVERWRITE_IF, createOptions: CreateOption.NON_DIRECTORY_FILE,
    });
    try {
      const chunk = o.chunk ?? this.maxIo;
      for (let at = 0; at < data.length; at += chunk) {
        const piece = data.subarray(at, Math.min(data.length, at + chunk));
        const written = await this.write(h.fileId, at, piece, o);
        if (written !== piece.length) throw new Error(`short write ${written} of ${piece.length}`);
      }
    } finally {
      await this.tree.close(h.fileId);
    }
  }
}
