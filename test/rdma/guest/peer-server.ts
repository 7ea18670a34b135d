// The other process of the two-process test: accepts one RC connection on GUEST_IP (port
// argv[2], or any), answers the client's SEND with the same bytes reversed, and exits 0
// after the client disconnects. Prints "listening <port>" when ready.
import { Access, WrOpcode } from '../../../native/index.js';
import { GUEST_IP, closeRdma, makeSide, openRdma, registeredSlab, signaled, withTimeout } from './helpers.js';

const rdma = openRdma();
const listener = rdma.channel.createId();
listener.listen({ host: GUEST_IP, port: Number(process.argv[2] ?? 0) });
const accepted = new Promise<Awaited<ReturnType<typeof serve>>>((resolve, reject) => {
  listener.once('connectRequest', (id) => serve(id).then(resolve, reject));
});
console.log(`listening ${listener.localAddress?.port}`);

async function serve(id: Parameters<typeof makeSide>[1]) {
  const side = await makeSide(rdma, id);
  const buf = registeredSlab(rdma, side.pd, 4096, Access.LOCAL_WRITE);
  side.ep.postRecv([{ wrId: 1, sgList: [{ addr: buf.mr.addr, length: 2048, lkey: buf.mr.lkey }] }]);
  await id.accept({ privateData: Buffer.from(`pid ${process.pid}`) });
  return { side, buf };
}

const { side, buf } = await withTimeout(accepted, 'a connection', 60_000);
const disconnected = side.id.isDisconnected ? Promise.resolve() : new Promise((resolve) => side.id.once('disconnected', resolve));
const recv = await side.completions.next('recv');
const reversed = Buffer.from(buf.bytes.subarray(0, recv.byteLen)).reverse();
buf.bytes.set(reversed, 2048);
side.ep.postSend([signaled({ wrId: 2, opcode: WrOpcode.SEND, sgList: [{ addr: buf.mr.addr + 2048n, length: reversed.length, lkey: buf.mr.lkey }] })]);
await side.completions.next('send');
await withTimeout(disconnected, 'the client to disconnect', 60_000);
side.ep.close();
buf.mr.close();
side.id.close();
listener.close();
await closeRdma(rdma);
