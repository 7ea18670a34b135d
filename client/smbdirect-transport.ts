// The client end of SMB Direct ([MS-SMBD] 3.1.5.1/3.1.5.2): connects over rdma_cm, negotiates,
// then carries the SMB2 client's messages. It owns its registered buffers: the SMB Direct
// pools, and I/O buffers the server reads and writes through SMB2_BUFFER_DESC_V1 entries.
import type { NativeMemoryRegion, NativeMemoryWindow, RdmaBinding } from '../native/binding.js';
import { Access, WrOpcode, loadRdmaBinding } from '../native/index.js';
import { CmChannel } from '../native/cm.js';
import { RcEndpoint } from '../native/rc-endpoint.js';
import { silentLogger, type Logger } from '../server/log.js';
import { DEFAULT_LIMITS, type SmbdLimits } from '../smbdirect/constants.js';
import { SmbdConnection, type SmbdMetrics } from '../smbdirect/connection.js';
import { DeviceResources } from '../smbdirect/device.js';
import { clientNegotiate } from '../smbdirect/negotiate.js';
import type { NegotiateRequest, NegotiateResponse } from '../smbdirect/messages.js';
import type { ClientTransport } from './transport.js';

export interface SmbDirectConnectOptions {
  host: string;
  port: number;
  limits?: Partial<SmbdLimits>;
  binding?: RdmaBinding;
  /** Fields of the negotiate request to send instead of ours (tests of the server's checks). */
  negotiate?: Partial<NegotiateRequest>;
  log?: Logger;
  metrics?: SmbdMetrics;
  /** RDMA READs the server may have in flight on our buffers (our responder resources). */
  responderResources?: number;
}

const noMetrics: SmbdMetrics = { rdmaWrite() {}, rdmaRead() {}, creditStall() {}, protocolError() {} };

/** Memory the server may RDMA into or out of: one registration, and a window for remote invalidation. */
export interface IoBuffer {
  readonly bytes: Buffer;
  readonly mr: NativeMemoryRegion;
  readonly mw: NativeMemoryWindow;
}

export class SmbDirectClientTransport implements ClientTransport {
  private readonly buffers: IoBuffer[] = [];
  private closing: Promise<void> | null = null;

  private constructor(
    readonly binding: RdmaBinding,
    readonly channel: CmChannel,
    readonly device: DeviceResources,
    readonly conn: SmbdConnection,
    readonly negotiated: NegotiateResponse,
  ) {}

  /** Inline messages: what we reassemble (responses) and what the server does (requests), [MS-SMBD] 3.1.5.2. */
  get maxInlineBytes(): number {
    return Math.min(this.conn.maxMessageBytes, this.negotiated.maxFragmentedSize);
  }

  static async connect(o: SmbDirectConnectOptions): Promise<SmbDirectClientTransport> {
    const binding = o.binding ?? requireBinding();
    const limits = { ...DEFAULT_LIMITS, ...o.limits };
    const log = o.log ?? silentLogger;
    const channel = new CmChannel(binding);
    const id = channel.createId();
    let device: DeviceResources | null = null;
    try {
      await id.resolve({ host: o.host, port: o.port });
      device = await DeviceResources.open(binding, id.deviceName ?? '', { limits, maxConnections: 1, log });
      const attrs = device.context.queryDevice();
      const ep = new RcEndpoint(binding, id, device.context, device.pd, {
        caps: { maxSendWr: 256, maxRecvWr: limits.receiveCreditMax + 2, maxSendSge: 1, maxRecvSge: 1 },
      });
      const conn = new SmbdConnection({ id, ep, pools: device, limits, metrics: o.metrics ?? noMetrics, log, initiatorDepth: 1 });
      conn.refillReceives();
      const responderResources = Math.max(1, Math.min(o.responderResources ?? 16, attrs.maxQpRdAtom));
      await id.connect({ responderResources, initiatorDepth: 1 });
      const negotiated = await clientNegotiate(conn, limits, o.negotiate);
      return new SmbDirectClientTransport(binding, channel, device, conn, negotiated);
    } catch (err) {
      id.close();
      device?.close();
      channel.close();
      throw err;
    }
  }

  send(parts: Buffer[]): Promise<void> {
    return this.conn.send(parts);
  }

  onMessage(handler: (message: Buffer) => void): void {
    this.conn.onMessage(handler);
  }

  onClose(handler: (reason?: Error) => void): void {
    this.conn.onClose(handler);
  }

  /** Registers `bytes` of memory the server may write and read remotely. */
  registerBuffer(bytes: number): IoBuffer {
    const slab = this.binding.allocSlab(bytes);
    const mr = new this.binding.MemoryRegion(this.device.pd, slab, Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ | Access.MW_BIND);
    const buffer = { bytes: Buffer.from(slab), mr, mw: new this.binding.MemoryWindow(this.device.pd) };
    this.buffers.push(buffer);
    return buffer;
  }

  /**
   * Binds the buffer's window to [offset, offset + length) under a fresh key and returns it: a
   * key the server can invalidate with SEND_WITH_INV (RDMA_V1_INVALIDATE). The window must be
   * free: invalidated by the server, or by invalidate() here.
   */
  async bindWindow(buffer: IoBuffer, offset: number, length: number): Promise<number> {
    const rkey = ((buffer.mw.rkey & ~0xff) | ((buffer.mw.rkey + 1) & 0xff)) >>> 0;
    await this.conn.postAndWait([{
      wrId: 0, opcode: WrOpcode.BIND_MW,
      bind: { mw: buffer.mw, mr: buffer.mr, rkey, addr: buffer.mr.addr + BigInt(offset), length: BigInt(length), access: Access.REMOTE_WRITE | Access.REMOTE_READ },
    }]);
    return rkey;
  }

  /** Invalidates a window key locally (the server did not). */
  async invalidate(rkey: number): Promise<void> {
    await this.conn.postAndWait([{ wrId: 0, opcode: WrOpcode.LOCAL_INV, invalidateRkey: rkey }]);
  }

  /** Messages that came with SEND_WITH_INV so far. */
  get invalidations(): number {
    return this.conn.invalidations;
  }

  close(): void {
    void this.shutdown();
  }

  /** Disconnects, waits for the device to flush, then releases buffers, pools and the channel. */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      await this.conn.terminate('client closed');
      for (const b of this.buffers.splice(0)) {
        b.mw.close();
        b.mr.close();
      }
      this.device.close();
      this.channel.close();
    })();
    return this.closing;
  }
}

function requireBinding(): RdmaBinding {
  const loaded = loadRdmaBinding({ requireDevice: true });
  if ('error' in loaded) throw new Error(`SMB Direct: ${loaded.error}`);
  return loaded.binding;
}
