// The typed surface of the spliced_rdma addon. Code above the binding depends on
// RdmaBinding only and receives it injected (see loadRdmaBinding()), so it can be tested
// without a device.

/** An IP endpoint for rdma_cm (numeric IPv4 or IPv6 host). */
export interface SocketAddress {
  host: string;
  port: number;
}

/** `ibv_query_device` results, plus the device's node type. */
export interface DeviceAttributes {
  nodeType: 'CA' | 'SWITCH' | 'ROUTER' | 'RNIC' | 'USNIC' | 'USNIC_UDP' | 'UNKNOWN';
  transportType: number;
  fwVer: string;
  nodeGuid: bigint;
  maxMrSize: bigint;
  pageSizeCap: bigint;
  vendorId: number;
  deviceCapFlags: number;
  maxQp: number;
  maxQpWr: number;
  maxSge: number;
  maxSgeRd: number;
  maxCq: number;
  maxCqe: number;
  maxMr: number;
  maxPd: number;
  maxMw: number;
  maxQpRdAtom: number;
  maxQpInitRdAtom: number;
  /** `enum ibv_atomic_cap` (AtomicCap). */
  atomicCap: number;
  physPortCnt: number;
  /** Always null: user-space verbs do not report it (fast registration is kernel-only). */
  maxFastRegPageListLen: number | null;
}

/** `ibv_query_port` results. */
export interface PortAttributes {
  state: number;
  maxMtu: number;
  activeMtu: number;
  gidTblLen: number;
  maxMsgSz: number;
  lid: number;
  linkLayer: number;
}

/** One work completion, as the CQ reported it. */
export interface Completion {
  /** The wrId of the work request (a safe integer). */
  wrId: number;
  /** `enum ibv_wc_status` (WcStatus). */
  status: number;
  /** `enum ibv_wc_opcode` (WcOpcode); only meaningful when status is SUCCESS. */
  opcode: number;
  byteLen: number;
  qpNum: number;
  wcFlags: number;
  vendorErr: number;
  /** Present with WcFlags.WITH_IMM, in host order. */
  immData?: number;
  /** Present with WcFlags.WITH_INV: the rkey the peer's SEND_WITH_INV invalidated. */
  invalidatedRkey?: number;
}

/** A scatter/gather entry: a range inside a registered memory region. */
export interface Sge {
  addr: bigint;
  length: number;
  lkey: number;
}

/** A send work request; the fields beyond wrId/opcode depend on the opcode. */
export interface SendWr {
  wrId: number;
  /** `enum ibv_wr_opcode` (WrOpcode). */
  opcode: number;
  sgList?: Sge[];
  /** `enum ibv_send_flags` (SendFlags). */
  flags?: number;
  /** RDMA_WRITE(_WITH_IMM), RDMA_READ */
  remoteAddr?: bigint;
  rkey?: number;
  /** SEND_WITH_IMM, RDMA_WRITE_WITH_IMM (host order) */
  immData?: number;
  /** SEND_WITH_INV, LOCAL_INV */
  invalidateRkey?: number;
  /** BIND_MW: binds mw to [addr, addr + length) of mr under the new key rkey. */
  bind?: { mw: NativeMemoryWindow; mr: NativeMemoryRegion; rkey: number; addr: bigint; length: bigint; access: number };
}

export interface RecvWr {
  wrId: number;
  sgList?: Sge[];
}

/** Queue pair capacities (requested, or granted by the device). */
export interface QpCaps {
  maxSendWr: number;
  maxRecvWr: number;
  maxSendSge: number;
  maxRecvSge: number;
  maxInlineData: number;
}

/** rdma_conn_param for connect/accept. Defaults: 1, 1, 7, 7. */
export interface ConnParams {
  /** At most 56 bytes for connect and 196 for accept on IB/RoCE. */
  privateData?: Uint8Array;
  responderResources?: number;
  initiatorDepth?: number;
  retryCount?: number;
  rnrRetryCount?: number;
}

/** One rdma_cm event, acked before JS sees it. */
export interface CmEventRecord {
  /** The id the event is for; for CONNECT_REQUEST a new id for the incoming connection. */
  id: NativeCmId;
  /** CONNECT_REQUEST only: the listening id. */
  listenId?: NativeCmId | null;
  /** `enum rdma_cm_event_type` (CmEventType). */
  event: number;
  /** The event type's name without the RDMA_CM_EVENT_ prefix, e.g. "ESTABLISHED". */
  name: string;
  status: number;
  /** Connection events: the peer's private data (IB pads it to the CM message's size). */
  privateData?: Buffer;
  responderResources?: number;
  initiatorDepth?: number;
  retryCount?: number;
  rnrRetryCount?: number;
  qpNum?: number;
}

export interface NativeContext {
  readonly name: string;
  queryDevice(): DeviceAttributes;
  queryPort(port?: number): PortAttributes;
  queryGid(port: number, index: number): string;
  close(): void;
}
export interface NativeProtectionDomain {
  close(): void;
}
export interface NativeMemoryRegion {
  readonly lkey: number;
  readonly rkey: number;
  readonly addr: bigint;
  readonly length: number;
  close(): void;
}
export interface NativeMemoryWindow {
  /** The window's current key; a posted BIND_MW sets it to the bind's rkey. */
  readonly rkey: number;
  close(): void;
}
export interface NativeCompletionChannel {
  close(): void;
}
export interface NativeCompletionQueue {
  readonly cqe: number;
  poll(max?: number): Completion[];
  requestNotify(solicitedOnly?: boolean): void;
  close(): void;
}
export interface NativeCmEventChannel {
  close(): void;
}
export interface NativeCmId {
  bind(address: SocketAddress): void;
  listen(backlog?: number): void;
  resolveAddr(destination: SocketAddress, timeoutMs?: number, source?: SocketAddress): void;
  resolveRoute(timeoutMs?: number): void;
  connect(params?: ConnParams): void;
  accept(params?: ConnParams): void;
  reject(privateData?: Uint8Array): void;
  disconnect(): void;
  readonly deviceName: string | null;
  readonly localAddress: SocketAddress | null;
  readonly remoteAddress: SocketAddress | null;
  close(): void;
}
export interface NativeQueuePair {
  readonly qpNum: number;
  readonly caps: QpCaps;
  /** Both throw errors that also carry `badWrIndex`: the first work request that was not posted. */
  postSend(wrs: SendWr[]): void;
  /**
   * The same post made by the addon's poster thread, in submission order: on a software
   * device (rxe) the post itself does the protocol work, which must not hold the event loop.
   * Rejects like postSend throws.
   */
  postSendAsync(wrs: SendWr[]): Promise<void>;
  postRecv(wrs: RecvWr[]): void;
  close(): void;
}

/** Memory that can be registered: a slab from allocSlab() or a view onto one. */
export type SlabMemory = ArrayBuffer | ArrayBufferView;

/** The addon's exports. Errors from verbs calls carry errno, code and syscall. */
export interface RdmaBinding {
  getDeviceNames(): string[];
  openContext(name?: string): Promise<NativeContext>;
  /** ibv_reg_mr off the event loop, on a worker thread; after a setuid the kernel refuses that (per-thread credentials): use `new MemoryRegion` then. */
  registerMemory(pd: NativeProtectionDomain, memory: SlabMemory, access: number): Promise<NativeMemoryRegion>;
  /** Zeroed page-aligned native memory; freed when collected or by freeSlab(). */
  allocSlab(bytes: number): ArrayBuffer;
  /** Detaches the slab and releases it (a memory region on it keeps the pages until closed). */
  freeSlab(slab: ArrayBuffer): void;
  liveSlabCount(): number;
  ProtectionDomain: new (context: NativeContext) => NativeProtectionDomain;
  MemoryRegion: new (pd: NativeProtectionDomain, memory: SlabMemory, access: number) => NativeMemoryRegion;
  MemoryWindow: new (pd: NativeProtectionDomain) => NativeMemoryWindow;
  CompletionChannel: new (context: NativeContext) => NativeCompletionChannel;
  CompletionQueue: new (
    context: NativeContext,
    cqe: number,
    channel: NativeCompletionChannel | null,
    onCompletions?: (completions: Completion[]) => void,
  ) => NativeCompletionQueue;
  CmEventChannel: new (onEvent: (event: CmEventRecord) => void) => NativeCmEventChannel;
  CmId: new (channel: NativeCmEventChannel) => NativeCmId;
  QueuePair: new (
    id: NativeCmId,
    pd: NativeProtectionDomain,
    sendCq: NativeCompletionQueue,
    recvCq: NativeCompletionQueue,
    caps?: Partial<QpCaps>,
  ) => NativeQueuePair;
  /** The ABI constants the addon was compiled with, by their C names. */
  constants: Readonly<Record<string, number>>;
}
