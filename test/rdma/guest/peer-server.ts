// The other process of the two-process test: accepts one RC connection on the port given
// as argv[2], answers the client's SEND with the same bytes reversed, and exits 0 after
// the client disconnects. Prints "listening <port>" when ready.
import { WrOpcode } from '../../../native/index.js';
import { closeRdma, connectPairServer } from './peer-helpers.js';

const rdma = await connectPairServer(async (side, rdma, buf) => {
  const recv = await side.completions.next('recv');
  const data = Buffer.from(buf.bytes.subarray(0, recv.byteLen)).reverse();
  buf.bytes.set(data, 2048);
  side.ep.postSend([{ wrId: 2, opcode: WrOpcode.SEND, flags: 2, sgList: [{ addr: buf.mr.addr + 2048n, length: data.length, lkey: buf.mr.lkey }] }]);
  await side.completions.next('send');
  void rdma;
});
await closeRdma(rdma);
