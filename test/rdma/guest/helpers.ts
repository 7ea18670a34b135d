// Shared set-up for the guest tests: the binding, connected RC pairs over rxe0 and a
// completion queue reader with timeouts (a hung verbs call must fail the test, not the VM).
import type { Completion, RdmaBinding, SendWr } from '../../../native/index.js';
import { Access, SendFlags, loadRdmaBinding } from '../../../native/index.js';
import { CmChannel, type RdmaCmId } from '../../../native/cm.js';
import { DeviceContexts, RcEndpoint, type RcEndpointOptions } from '../../../native/rc-endpoint.js';
import type { NativeContext, NativeProtectionDomain, ConnParams } from '../../../native/binding.js';

/** The guest's soft-RoCE address (test/vm/guest-stage2.sh puts it on dummy0 under rxe0). */
export const GUEST_IP = '10.77.0.1';
export const REMOTE_ACCESS = Access.LOCAL_WRITE | Access.REMOTE_WRITE | Access.REMOTE_READ;

function requireBinding(): RdmaBinding {
  const loaded = loadRdmaBinding({ requireDevice: true });
  if ('error' in loaded) throw new Error(loaded.error);
  return loaded.binding;
}

export interface Rdma {
  binding: RdmaBinding;
  channel: CmChannel;
  contexts: DeviceContexts;
}

export function openRdma(): Rdma {
  const binding = requireBinding();
  return { binding, channel: new CmChannel(binding), contexts: new DeviceContexts(binding) };
}

export async function closeRdma(rdma: Rdma): Promise<void> {
  await rdma.contexts.close();
  rdma.channel.close();
}

export function withTimeout<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Buffers an endpoint's completions and hands them out one at a time. */
export class Completions {
  private readonly queues = { send: [] as Completion[], recv: [] as Completion[] };
  private readonly waiters = { send: [] as ((c: Completion) => void)[], recv: [] as ((c: Completion) => void)[] };

  constructor(ep: RcEndpoint) {
    ep.on('send', (list) => this.push('send', list));
    ep.on('recv', (list) => this.push('recv', list));
  }

  next(kind: 'send' | 'recv', ms = 10_000): Promise<Completion> {
    const queued = this.queues[kind].shift();
    if (queued) return Promise.resolve(queued);
    return withTimeout(new Promise<Completion>((resolve) => this.waiters[kind].push(resolve)), `a ${kind} completion`, ms);
  }

  private push(kind: 'send' | 'recv', list: Completion[]): void {
    for (const c of list) {
      const waiter = this.waiters[kind].shift();
      if (waiter) waiter(c);
      else this.queues[kind].push(c);
    }
  }
}

export interface Side {
  id: RdmaCmId;
  ep: RcEndpoint;
  completions: Completions;
  context: NativeContext;
  pd: NativeProtectionDomain;
}

export interface PairOptions {
  endpoint?: RcEndpointOptions;
  connect?: ConnParams;
  accept?: ConnParams;
  /** Runs on each side after its QP exists and before the connection is made (post receives here). */
  prepare?: (side: Side, role: 'server' | 'client') => void | Promise<void>;
}

export interface Pair {
  server: Side;
  client: Side;
  listener: RdmaCmId;
  /** The private data the server saw in the connect request. */
  requestData?: Buffer;
  /** The private data the client saw in the accept. */
  acceptData?: Buffer;
}

const RC_DEFAULTS: ConnParams = { responderResources: 4, initiatorDepth: 4 };

/** The verbs objects for one side of a connection on id (resolved, or from a connect request). */
export async function makeSide(rdma: Rdma, id: RdmaCmId, options: PairOptions = {}): Promise<Side> {
  const { context, pd } = await rdma.contexts.get(id.deviceName ?? '');
  const ep = new RcEndpoint(rdma.binding, id, context, pd, options.endpoint);
  return { id, ep, completions: new Completions(ep), context, pd };
}

/** An RC connection between two ids of this process, through a listener on GUEST_IP. */
export async function connectPair(rdma: Rdma, options: PairOptions = {}): Promise<Pair> {
  const listener = rdma.channel.createId();
  listener.listen({ host: GUEST_IP, port: 0 });
  const port = listener.localAddress?.port ?? 0;
  let requestData: Buffer | undefined;
  const serverSide = new Promise<Side>((resolve, reject) => {
    listener.once('connectRequest', (id, event) => {
      requestData = event.privateData;
      void (async () => {
        const side = await makeSide(rdma, id, options);
        await options.prepare?.(side, 'server');
        await id.accept({ ...RC_DEFAULTS, ...options.accept });
        return side;
      })().then(resolve, reject);
    });
  });
  const clientId = rdma.channel.createId();
  await withTimeout(clientId.resolve({ host: GUEST_IP, port }), 'address and route resolution');
  const client = await makeSide(rdma, clientId, options);
  await options.prepare?.(client, 'client');
  const established = await withTimeout(clientId.connect({ ...RC_DEFAULTS, ...options.connect }), 'ESTABLISHED on the client');
  const server = await withTimeout(serverSide, 'ESTABLISHED on the server');
  return { server, client, listener, requestData, acceptData: established.privateData };
}

/** Disconnects from the client side and closes everything, children first. */
export async function closePair(pair: Pair): Promise<void> {
  const serverDisconnected = pair.server.id.isDisconnected
    ? Promise.resolve()
    : new Promise<void>((resolve) => pair.server.id.once('disconnected', () => resolve()));
  await withTimeout(pair.client.id.disconnect(), 'DISCONNECTED on the client');
  await withTimeout(serverDisconnected, 'DISCONNECTED on the server');
  for (const side of [pair.client, pair.server]) {
    side.ep.close();
    side.id.close();
  }
  pair.listener.close();
}

/** A registered slab of `bytes` bytes with the given access. */
export function registeredSlab(rdma: Rdma, pd: NativeProtectionDomain, bytes: number, access = REMOTE_ACCESS) {
  const slab = rdma.binding.allocSlab(bytes);
  const mr = new rdma.binding.MemoryRegion(pd, slab, access);
  return { slab, bytes: new Uint8Array(slab), mr };
}

export function signaled(wr: SendWr): SendWr {
  return { ...wr, flags: (wr.flags ?? 0) | SendFlags.SIGNALED };
}
