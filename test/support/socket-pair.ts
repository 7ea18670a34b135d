// Real loopback sockets for the direct-TCP framing tests, and the frame header spelled out
// independently of the code under test.
import net from 'node:net';

export interface SocketPair {
  /** The server's end, as net.Server accepted it. */
  accepted: net.Socket;
  client: net.Socket;
  port: number;
  close(): void;
}

/** A listening socket, a client socket connected to it, and the accepted socket (errors on either end are the test's to observe). */
export async function socketPair(): Promise<SocketPair> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const acceptedP = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect({ host: '127.0.0.1', port });
  client.on('error', () => {});
  const accepted = await acceptedP;
  accepted.on('error', () => {});
  return { accepted, client, port, close: () => (client.destroy(), accepted.destroy(), server.close()) };
}

/** Big-endian direct-TCP header, [MS-SMB2] 2.1: a zero byte and a 24-bit length. */
export function directTcpHeaderBytes(length: number): Buffer {
  return Buffer.from([0, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
}
