// The server half of a connection across processes (see peer-server.ts).
import { Access } from '../../../native/index.js';
import type { Rdma, Side } from './helpers.js';
import { Completions, GUEST_IP, closeRdma, openRdma, registeredSlab, withTimeout } from './helpers.js';
import { RcEndpoint } from '../../../native/rc-endpoint.js';

export { closeRdma };

type Slab = ReturnType<typeof registeredSlab>;

/** Listens on GUEST_IP (port argv[2] or any), serves one connection with `serve`, waits for the disconnect. */
export async function connectPairServer(serve: (side: Side, rdma: Rdma, buf: Slab) => Promise<void>): Promise<Rdma> {
  const rdma = openRdma();
  const listener = rdma.channel.createId();
  listener.listen({ host: GUEST_IP, port: Number(process.argv[2] ?? 0) });
  const accepted = new Promise<Side & { buf: Slab }>((resolve, reject) => {
    listener.once('connectRequest', (id) => {
      void (async () => {
        const { context, pd } = await rdma.contexts.get(id.deviceName!);
        const ep = new RcEndpoint(rdma.binding, id, context, pd);
        const side: Side = { id, ep, completions: new Completions(ep), context, pd };
        const buf = registeredSlab(rdma, pd, 4096, Access.LOCAL_WRITE);
        ep.postRecv([{ wrId: 1, sgList: [{ addr: buf.mr.addr, length: 2048, lkey: buf.mr.lkey }] }]);
        await id.accept({ privateData: Buffer.from(`pid ${process.pid}`) });
        return { ...side, buf };
      })().then(resolve, reject);
    });
  });
  console.log(`listening ${listener.localAddress?.port}`);
  const side = await withTimeout(accepted, 'a connection', 30_000);
  const disconnected = new Promise<void>((resolve) => (side.id.isDisconnected ? resolve() : side.id.once('disconnected', () => resolve())));
  await serve(side, rdma, side.buf);
  await withTimeout(disconnected, 'the client to disconnect', 30_000);
  side.ep.close();
  side.buf.mr.close();
  side.id.close();
  listener.close();
  return rdma;
}
