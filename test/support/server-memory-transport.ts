/**
 * An in-process transport pair with a model of registered memory, to drive the server's
 * RDMA channel paths (READ/WRITE with SMB2_BUFFER_DESC_V1) without NICs. The client
 * registers buffers under tokens; the server side "RDMA-writes/reads" them.
 */
import type { Transport, SendOptions } from '../../server/transport.js';
import type { ClientTransport } from '../../client/transport.js';
import type { BufferDescriptor } from '../../smb2/commands/buffer-desc.js';

export class MemoryRegistry {
  private readonly regions = new Map<number, Buffer>();
  private nextToken = 0x100;
  readonly invalidated: number[] = [];

  register(buf: Buffer): BufferDescriptor {
    const token = this.nextToken++;
    this.regions.set(token, buf);
    return { offset: 0n, token, length: buf.length };
  }

  region(d: BufferDescriptor): Buffer {
    const buf = this.regions.get(d.token);
    if (!buf || Number(d.offset) + d.length > buf.length) throw new Error(`bad descriptor token ${d.token}`);
    return buf.subarray(Number(d.offset), Number(d.offset) + d.length);
  }

  invalidate(token: number): void {
    this.invalidated.push(token);
    this.regions.delete(token);
  }
}

/** `copiesReadData`: the server side behaves like SMB Direct with `rdma zero copy = no`. */
export function memoryTransportPair(registry: MemoryRegistry, options: { copiesReadData?: boolean } = {}): { server: Transport; client: ClientTransport } {
  let toServer: (m: Buffer) => void = () => {};
  let toClient: (m: Buffer) => void = () => {};
  const closers: Array<() => void> = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const c of closers.splice(0)) c();
  };
  const server: Transport = {
    kind: 'rdma',
    peer: 'memory',
    copiesReadData: options.copiesReadData,
    maxMessageBytes: 1 << 20,
    onMessage: (h) => (toServer = h),
    onClose: (h) => closers.push(() => h()),
    async send(parts: Buffer[], options?: SendOptions) {
      if (options?.invalidateToken !== undefined) registry.invalidate(options.invalidateToken);
      const m = Buffer.concat(parts);
      setImmediate(() => toClient(m));
    },
    async rdmaWrite(descriptors, payload) {
      let at = 0;
      const data = Buffer.concat(payload.chunks);
      for (const d of descriptors) {
        const n = Math.min(d.length, data.length - at);
        data.copy(registry.region(d), 0, at, at + n);
        at += n;
      }
      return at;
    },
    async rdmaRead(descriptors, length) {
      return Buffer.concat(descriptors.map((d) => registry.region(d))).subarray(0, length);
    },
    disconnect: close,
  };
  const client: ClientTransport = {
    async send(parts) {
      const m = Buffer.concat(parts);
      setImmediate(() => toServer(m));
    },
    onMessage: (h) => (toClient = h),
    onClose: (h) => closers.push(() => h()),
    close,
  };
  return { server, client };
}
