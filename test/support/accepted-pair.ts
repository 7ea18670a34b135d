import net from 'node:net';

/** A loopback connection as a server accepts it (paused, `pauseOnConnect`), and the client's end. */
export async function acceptedPair(): Promise<{ server: net.Server; accepted: net.Socket; client: net.Socket }> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const acceptedP = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  return { server, accepted: await acceptedP, client };
}
