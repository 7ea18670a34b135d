// The client side of most server tests: connect to the fixture server, negotiate, log in as the
// test user and, if asked, connect to a share.
import { Smb2Client, type ConnectOptions, type SessionOptions, type Tree } from '../../client/index.js';
import type { ClientCredentials } from '../../auth/ntlm-client.js';
import { TEST_PASSWORD, TEST_USER, type ServerFixture } from './server-fixture.js';

export interface LoggedInOptions extends Omit<ConnectOptions, 'port'>, SessionOptions {
  /** Default: the fixture's test user. */
  credentials?: ClientCredentials;
}

/** A client of `f` that negotiated (`dialects`, or all five) and holds a valid session. */
export async function loggedInClient(f: Pick<ServerFixture, 'port'>, o: LoggedInOptions = {}): Promise<Smb2Client> {
  const { credentials = { user: TEST_USER, password: TEST_PASSWORD }, signing, ...connect } = o;
  const c = await Smb2Client.connect({ port: f.port, ...connect });
  await c.login(credentials, { signing });
  return c;
}

/** loggedInClient, then a tree connect to `share`. */
export async function treeClient(f: Pick<ServerFixture, 'port'>, share = 'share', o: LoggedInOptions = {}): Promise<{ c: Smb2Client; tree: Tree }> {
  const c = await loggedInClient(f, o);
  return { c, tree: await c.treeConnect(share) };
}
