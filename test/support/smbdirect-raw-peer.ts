// A hostile SMB Direct peer for the rxe guest tests: an RC connection with registered
// buffers that sends whatever bytes the test builds (smbdirect-bytes.ts) and reports what
// comes back, with no credit or size rules of its own. It can also RDMA READ from, or vanish
// under, the server.
import type { Completion, NativeMemoryRegion, RdmaBinding } from '../../native/binding.js';
import { Access, SendFlags, WcStatus, WrOpcode, wcStatusName } from '../../native/constants.js';
import { CmChannel, type RdmaCmId } from '../../native/cm.js';
import { DeviceContexts, RcEndpoint } from '../../native/rc-endpoint.js';

const SLOT = 4096;
const RECV_SLOTS = 16;

export class RawSmbdPeer {
  private readonly recvQueue: Completion[] = [];
  private readonly recvWaiters: Array<(c: Completion) => void> = [];
  private readonly sendWaiters = new Map<number, (c: Completion) => void>();
  private nextWrId = 1000;
  private disconnected = false;
  private readonly disconnectWaiters: Array<() => void> = [];

  private constructor(
    private readonly channel: CmChannel,
    private readonly contexts: DeviceContexts,
    readonly id: RdmaCmId,
    readonly ep: RcEndpoint,
    readonly mr: NativeMemoryRegion,
    readonly bytes: Buffer,
  ) {
    ep.on('recv', (list) => list.forEach((c) => this.pushRecv(c)));
    ep.on('send', (list) => list.forEach((c) => { this.sendWaiters.get(c.wrId)?.(c); this.sendWaiters.delete(c.wrId); }));
    id.on('disconnected', () => {
      this.disconnected = true;
      this.disconnectWaiters.splice(0).forEach((w) => w());
    });
  }

  /** Connects (no negotiate yet) with RECV_SLOTS receives of 4 KiB posted. */
  static async connect(binding: RdmaBinding, host: string, port: number): Promise<RawSmbdPeer> {
    const channel = new CmChannel(binding);
    const contexts = new DeviceContexts(binding);
    const id = channel.createId();
    await id.resolve({ host, port });
    const { context, pd } = await contexts.get(id.deviceName ?? '');
    const ep = new RcEndpoint(binding, id, context, pd, { caps: { maxSendWr: 64, maxRecvWr: RECV_SLOTS, maxSendSge: 2, maxRecvSge: 1 } });
    const slab = binding.allocSlab(SLOT * (RECV_SLOTS + 16));
    const mr = new binding.MemoryRegion(pd, slab, Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ);
    const peer = new RawSmbdPeer(channel, contexts, id, ep, mr, Buffer.from(slab));
    ep.postRecv(Array.from({ length: RECV_SLOTS }, (_, i) => ({ wrId: i, sgList: [{ addr: mr.addr + BigInt(i * SLOT), length: SLOT, lkey: mr.lkey }] })));
    await id.connect({ responderResources: 4, initiatorDepth: 4 });
    return peer;
  }

  /** The registered scratch area after the receive slots (16 × 4 KiB), for RDMA targets. */
  scratch(offset = 0): { addr: bigint; rkey: number; bytes: Buffer } {
    const at = RECV_SLOTS * SLOT + offset;
    return { addr: this.mr.addr + BigInt(at), rkey: this.mr.rkey, bytes: this.bytes.subarray(at) };
  }

  /** Sends one message; resolves with its completion status name. */
  send(message: Buffer, slot = 0): Promise<string> {
    const at = (RECV_SLOTS + 8 + (slot % 8)) * SLOT;
    message.copy(this.bytes, at);
    const wrId = this.nextWrId++;
    return new Promise((resolve) => {
      this.sendWaiters.set(wrId, (c) => resolve(wcStatusName(c.status)));
      try {
        this.ep.postSend([{ wrId, opcode: WrOpcode.SEND, flags: SendFlags.SIGNALED, sgList: [{ addr: this.mr.addr + BigInt(at), length: message.length, lkey: this.mr.lkey }] }]);
      } catch (err) {
        this.sendWaiters.delete(wrId);
        resolve(`post failed: ${(err as Error).message}`);
      }
    });
  }

  /** The next received message (a copy), or null if none comes within ms; its slot is reposted. */
  async receive(ms = 5000): Promise<Buffer | null> {
    const c = await new Promise<Completion | null>((resolve) => {
      const queued = this.recvQueue.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => {
        const at = this.recvWaiters.indexOf(waiter);
        if (at >= 0) this.recvWaiters.splice(at, 1);
        resolve(null);
      }, ms);
      const waiter = (got: Completion) => {
        clearTimeout(timer);
        resolve(got);
      };
      this.recvWaiters.push(waiter);
    });
    if (!c || c.status !== WcStatus.SUCCESS) return null;
    const at = c.wrId * SLOT;
    const copy = Buffer.from(this.bytes.subarray(at, at + c.byteLen));
    if (!this.disconnected) {
      try {
        this.ep.postRecv([{ wrId: c.wrId, sgList: [{ addr: this.mr.addr + BigInt(at), length: SLOT, lkey: this.mr.lkey }] }]);
      } catch {
        // the QP is in error already
      }
    }
    return copy;
  }

  /** Resolves true once the server disconnected us, false after ms. */
  waitDisconnected(ms = 10_000): Promise<boolean> {
    if (this.disconnected) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.disconnectWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  get isDisconnected(): boolean {
    return this.disconnected;
  }

  private pushRecv(c: Completion): void {
    const w = this.recvWaiters.shift();
    if (w) w(c);
    else this.recvQueue.push(c);
  }

  /** Tears everything down without a disconnect first (a peer that vanishes). */
  async vanish(): Promise<void> {
    this.ep.close();
    this.id.close();
    this.mr.close();
    await this.contexts.close();
    this.channel.close();
  }

  /** Orderly: disconnect, then release. */
  async close(): Promise<void> {
    if (!this.disconnected) await Promise.race([this.id.disconnect().catch(() => {}), new Promise((r) => setTimeout(r, 3000))]);
    await this.vanish();
  }
}
