import { Reader, Writer } from '../wire/index.js';
import { Access, Command, CreateDisposition, CreateOption, InfoType, ShareAccess, CloseFlag } from '../smb2/constants.js';
import { encodeCreateRequest, decodeCreateResponse, type CreateContext, type CreateResponse, type FileId } from '../smb2/commands/create.js';
import { encodeCloseRequest, decodeCloseResponse, type CloseResponse } from '../smb2/commands/close.js';
import { encodeReadRequest, decodeReadResponse } from '../smb2/commands/read.js';
import { encodeWriteRequestHeader, decodeWriteResponse } from '../smb2/commands/write.js';
import { encodeFlushRequest } from '../smb2/commands/flush.js';
import { encodeQueryDirectoryRequest, decodeQueryDirectoryResponse } from '../smb2/commands/query-directory.js';
import { encodeQueryInfoRequest, decodeQueryInfoResponse } from '../smb2/commands/query-info.js';
import { encodeSetInfoRequest } from '../smb2/commands/set-info.js';
import { Status } from '../smb2/status.js';
import { SmbError } from './connection.js';
import type { Smb2Client } from './smb2-client.js';

/** [MS-FSCC] 2.4 information class numbers the helpers use. */
const FileClass = { Directory: 0x01, Standard: 0x05, Rename: 0x0a, Disposition: 0x0d, EndOfFile: 0x14 } as const;
const CREDIT_UNIT = 65536;
/** How many READ/WRITE requests a large transfer keeps in flight. */
const IN_FLIGHT = 8;

export interface CreateOptions {
  desiredAccess?: number;
  disposition?: number;
  createOptions?: number;
  shareAccess?: number;
  fileAttributes?: number;
  contexts?: CreateContext[];
}

export interface DirectoryEntry {
  name: string;
  size: number;
  attributes: number;
  isDirectory: boolean;
}

export interface FileStandardInfo {
  allocationSize: bigint;
  endOfFile: bigint;
  links: number;
  deletePending: boolean;
  isDirectory: boolean;
}

function charge(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / CREDIT_UNIT));
}

/** File operations on one tree connect. Paths are share-relative with '\' or '/'. */
export class Tree {
  constructor(
    readonly client: Smb2Client,
    readonly treeId: number,
  ) {}

  private req(command: number, body: Buffer, creditCharge = 1, payload?: Buffer[]) {
    return this.client.request(command, body, { treeId: this.treeId, creditCharge, payload });
  }

  async create(path: string, o: CreateOptions = {}): Promise<CreateResponse> {
    const body = encodeCreateRequest({
      requestedOplockLevel: 0,
      impersonationLevel: 2,
      desiredAccess: o.desiredAccess ?? (Access.GENERIC_READ >>> 0),
      fileAttributes: o.fileAttributes ?? 0,
      shareAccess: o.shareAccess ?? (ShareAccess.READ | ShareAccess.WRITE | ShareAccess.DELETE),
      createDisposition: o.disposition ?? CreateDisposition.OPEN,
      createOptions: o.createOptions ?? 0,
      name: path.replace(/\//g, '\\'),
      contexts: o.contexts ?? [],
    });
    return decodeCreateResponse((await this.req(Command.CREATE, body)).reader);
  }

  async close(fileId: FileId, postQuery = false): Promise<CloseResponse> {
    const r = await this.req(Command.CLOSE, encodeCloseRequest({ flags: postQuery ? CloseFlag.POSTQUERY_ATTRIB : 0, fileId }));
    return decodeCloseResponse(r.reader);
  }

  /** One READ request (length up to MaxReadSize); shorter at end of file, empty past it. */
  async read(fileId: FileId, offset: number, length: number): Promise<Buffer> {
    const body = encodeReadRequest({ flags: 0, length, offset, fileId, minimumCount: 0, channel: 0, remainingBytes: 0, channelInfo: [] });
    try {
      const r = await this.req(Command.READ, body, this.client.largeMtu ? charge(length) : 1);
      return Buffer.from(decodeReadResponse(r.reader).data);
    } catch (err) {
      if (err instanceof SmbError && err.status === Status.END_OF_FILE) return Buffer.alloc(0);
      throw err;
    }
  }

  /** One WRITE request; the data goes out as its own part (no copy unless signing). */
  async write(fileId: FileId, offset: number, data: Buffer): Promise<number> {
    const body = encodeWriteRequestHeader({ offset, fileId, channel: 0, remainingBytes: 0, flags: 0, channelInfo: [], length: data.length });
    const r = await this.req(Command.WRITE, body, this.client.largeMtu ? charge(data.length) : 1, [data]);
    return decodeWriteResponse(r.reader).count;
  }

  /** Read `length` bytes from `offset`, split by MaxReadSize with several requests in flight. */
  async readRange(fileId: FileId, offset: number, length: number, chunk = this.client.maxReadSize): Promise<Buffer> {
    const out = Buffer.alloc(length);
    let total = 0;
    await this.parallel(length, chunk, async (at, n) => {
      const data = await this.read(fileId, offset + at, n);
      data.copy(out, at);
      total = Math.max(total, at + data.length);
    });
    return out.subarray(0, total);
  }

  async writeRange(fileId: FileId, offset: number, data: Buffer, chunk = this.client.maxWriteSize): Promise<void> {
    await this.parallel(data.length, chunk, async (at, n) => {
      const written = await this.write(fileId, offset + at, data.subarray(at, at + n));
      if (written !== n) throw new Error(`short write ${written} of ${n}`);
    });
  }

  private async parallel(length: number, chunk: number, op: (at: number, n: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < length) {
        const at = next;
        const n = Math.min(chunk, length - at);
        next += n;
        await op(at, n);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(length / chunk) || 1) }, worker));
  }

  async flush(fileId: FileId): Promise<void> {
    await this.req(Command.FLUSH, encodeFlushRequest({ fileId }));
  }

  async queryDirectory(fileId: FileId, pattern: string, infoClass: number, flags = 0, outputBufferLength = 65536): Promise<Buffer> {
    const body = encodeQueryDirectoryRequest({ infoClass, flags, fileIndex: 0, fileId, pattern, outputBufferLength });
    const r = await this.req(Command.QUERY_DIRECTORY, body, this.client.largeMtu ? charge(outputBufferLength) : 1);
    return Buffer.from(decodeQueryDirectoryResponse(r.reader));
  }

  async queryInfo(fileId: FileId, infoType: number, infoClass: number, outputBufferLength = 65536, additionalInformation = 0): Promise<Buffer> {
    const body = encodeQueryInfoRequest({ infoType, infoClass, outputBufferLength, input: Buffer.alloc(0), additionalInformation, flags: 0, fileId });
    return Buffer.from(decodeQueryInfoResponse((await this.req(Command.QUERY_INFO, body)).reader));
  }

  async setInfo(fileId: FileId, infoType: number, infoClass: number, buffer: Buffer): Promise<void> {
    await this.req(Command.SET_INFO, encodeSetInfoRequest({ infoType, infoClass, buffer, additionalInformation: 0, fileId }));
  }

  // ---- helpers built from the commands above ----

  async list(dir = '', pattern = '*'): Promise<DirectoryEntry[]> {
    const h = await this.create(dir, { desiredAccess: Access.FILE_READ_DATA | Access.FILE_READ_ATTRIBUTES, createOptions: CreateOption.DIRECTORY_FILE });
    const out: DirectoryEntry[] = [];
    try {
      for (;;) {
        let buf: Buffer;
        try {
          buf = await this.queryDirectory(h.fileId, pattern, FileClass.Directory);
        } catch (err) {
          if (err instanceof SmbError && (err.status === Status.NO_MORE_FILES || err.status === Status.NO_SUCH_FILE)) break;
          throw err;
        }
        out.push(...parseDirectoryInformation(buf));
      }
    } finally {
      await this.close(h.fileId);
    }
    return out;
  }

  async readFile(path: string): Promise<Buffer> {
    const h = await this.create(path);
    try {
      return await this.readRange(h.fileId, 0, Number(h.endOfFile));
    } finally {
      await this.close(h.fileId);
    }
  }

  async writeFile(path: string, data: Buffer): Promise<void> {
    const h = await this.create(path, { desiredAccess: (Access.GENERIC_WRITE | Access.GENERIC_READ) >>> 0, disposition: CreateDisposition.OVERWRITE_IF, createOptions: CreateOption.NON_DIRECTORY_FILE });
    try {
      await this.writeRange(h.fileId, 0, data);
    } finally {
      await this.close(h.fileId);
    }
  }

  async mkdir(path: string): Promise<void> {
    const h = await this.create(path, { desiredAccess: Access.FILE_READ_ATTRIBUTES, disposition: CreateDisposition.CREATE, createOptions: CreateOption.DIRECTORY_FILE });
    await this.close(h.fileId);
  }

  private async deletePath(path: string, options: number): Promise<void> {
    const h = await this.create(path, { desiredAccess: Access.DELETE | Access.FILE_READ_ATTRIBUTES, createOptions: options });
    try {
      await this.setInfo(h.fileId, InfoType.FILE, FileClass.Disposition, Buffer.from([1]));
    } finally {
      await this.close(h.fileId);
    }
  }

  rmdir(path: string): Promise<void> {
    return this.deletePath(path, CreateOption.DIRECTORY_FILE);
  }

  unlink(path: string): Promise<void> {
    return this.deletePath(path, CreateOption.NON_DIRECTORY_FILE);
  }

  async rename(from: string, to: string, replace = false): Promise<void> {
    const h = await this.create(from, { desiredAccess: Access.DELETE | Access.FILE_READ_ATTRIBUTES });
    const name = Buffer.from(to.replace(/\//g, '\\'), 'utf16le');
    // [MS-FSCC] 2.4 FileRenameInformation (SMB2 layout): ReplaceIfExists, Reserved(7), RootDirectory, FileNameLength, FileName.
    const info = new Writer(0, 20 + name.length).u8(replace ? 1 : 0).zeros(7).u64(0n).u32(name.length).bytes(name).finish();
    try {
      await this.setInfo(h.fileId, InfoType.FILE, FileClass.Rename, Buffer.from(info));
    } finally {
      await this.close(h.fileId);
    }
  }

  async truncate(path: string, size: number): Promise<void> {
    const h = await this.create(path, { desiredAccess: (Access.GENERIC_WRITE | Access.GENERIC_READ) >>> 0 });
    try {
      await this.setInfo(h.fileId, InfoType.FILE, FileClass.EndOfFile, new Writer(0, 8).u64(BigInt(size)).finish());
    } finally {
      await this.close(h.fileId);
    }
  }

  async stat(path: string): Promise<FileStandardInfo> {
    const h = await this.create(path, { desiredAccess: Access.FILE_READ_ATTRIBUTES });
    try {
      const r = new Reader(await this.queryInfo(h.fileId, InfoType.FILE, FileClass.Standard));
      return { allocationSize: r.u64(), endOfFile: r.u64(), links: r.u32(), deletePending: r.u8() !== 0, isDirectory: r.u8() !== 0 };
    } finally {
      await this.close(h.fileId);
    }
  }

  async disconnect(): Promise<void> {
    await this.client.treeDisconnect(this.treeId);
  }
}

/** FILE_DIRECTORY_INFORMATION entries, [MS-FSCC] 2.4 (64 fixed bytes, then the name). */
export function parseDirectoryInformation(buf: Buffer): DirectoryEntry[] {
  const out: DirectoryEntry[] = [];
  let at = 0;
  for (;;) {
    const r = new Reader(buf, at);
    const next = r.u32();
    r.skip(4 + 32);
    const size = r.u64n();
    r.skip(8);
    const attributes = r.u32();
    const nameLength = r.u32();
    out.push({ name: r.utf16(nameLength), size, attributes, isDirectory: (attributes & 0x10) !== 0 });
    if (next === 0) return out;
    at += next;
  }
}
