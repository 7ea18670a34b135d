import { randomBytes } from 'node:crypto';
import {
  Access, ALL_DIALECTS, Capability, Command, CreateDisposition, CreateOption, Dialect, HashAlgorithm, InfoType,
  NegotiateContextType, SecurityMode, ShareAccess, SigningAlgorithm,
} from '../smb2/constants.js';
import { encodeNegotiateRequest, decodeNegotiateResponse, encodePreauthContext, encodeIdListContext, type NegotiateResponse } from '../smb2/commands/negotiate.js';
import { encodeSessionSetupRequest, decodeSessionSetupResponse } from '../smb2/commands/session-setup.js';
import { encodeLogoffRequest } from '../smb2/commands/logoff.js';
import { encodeTreeConnectRequest } from '../smb2/commands/tree-connect.js';
import { encodeTreeDisconnectRequest } from '../smb2/commands/tree-disconnect.js';
import { encodeEchoRequest } from '../smb2/commands/echo.js';
import { Status } from '../smb2/status.js';
import { signingKey } from '../auth/signing.js';
import { PreauthHash } from '../auth/preauth.js';
import { ClientAuthExchange, type ClientCredentials } from '../auth/ntlm-client.js';
import { Smb2Connection, type RequestOptions, type Smb2Response } from './connection.js';
import { TcpClientTransport, type ClientTransport } from './transport.js';
import { Tree } from './tree.js';

export interface ConnectOptions {
  host?: string;
  port: number;
  /** Dialects to offer; default all five. */
  dialects?: number[];
  /** A ready transport (SMB Direct); otherwise direct TCP to host:port. */
  transport?: ClientTransport;
}

export interface SessionOptions {
  /** Ask the server to sign (SIGNING_REQUIRED in SESSION_SETUP) and sign every request. */
  signing?: boolean;
}

/**
 * A small promise-based SMB2/3 client: negotiate, authenticate, then work on trees
 * (see Tree for file operations).
 */
/** Bytes of an inline READ/WRITE message that are not data: SMB2 header, fixed part, transform header, padding. */
const INLINE_HEADROOM = 4096;

export class Smb2Client {
  negotiated?: NegotiateResponse;
  sessionId = 0n;
  sessionFlags = 0;
  readonly clientGuid = randomBytes(16);

  private constructor(readonly conn: Smb2Connection) {}

  static async connect(opts: ConnectOptions): Promise<Smb2Client> {
    const transport = opts.transport ?? (await TcpClientTransport.connect(opts.host ?? '127.0.0.1', opts.port));
    const client = new Smb2Client(new Smb2Connection(transport));
    await client.negotiate(opts.dialects ?? [...ALL_DIALECTS]);
    return client;
  }

  get dialect(): number {
    return this.conn.dialect;
  }

  /** The negotiated MaxReadSize, within what the transport carries inline. */
  get maxReadSize(): number {
    return this.inline(this.negotiated?.maxReadSize ?? 65536);
  }

  /** The negotiated MaxWriteSize, within what the transport carries inline. */
  get maxWriteSize(): number {
    return this.inline(this.negotiated?.maxWriteSize ?? 65536);
  }

  /** Room for the SMB2 header and READ/WRITE fixed part (and a transform header) beside the data. */
  private inline(size: number): number {
    const limit = this.conn.transport.maxInlineBytes;
    if (limit === undefined) return size;
    return Math.max(4096, Math.min(size, Math.floor((limit - INLINE_HEADROOM) / 4096) * 4096));
  }

  get largeMtu(): boolean {
    return ((this.negotiated?.capabilities ?? 0) & Capability.LARGE_MTU) !== 0;
  }

  async negotiate(dialects: number[]): Promise<NegotiateResponse> {
    const contexts = dialects.includes(Dialect.SMB3_1_1)
      ? [
          encodePreauthContext([HashAlgorithm.SHA_512], randomBytes(32)),
          encodeIdListContext(NegotiateContextType.SIGNING_CAPABILITIES, [SigningAlgorithm.AES_CMAC]),
        ]
      : [];
    const body = encodeNegotiateRequest({
      securityMode: SecurityMode.SIGNING_ENABLED, capabilities: Capability.LARGE_MTU, clientGuid: this.clientGuid, dialects, contexts,
    });
    const preauth = new PreauthHash();
    const r = await this.conn.request(Command.NEGOTIATE, body);
    const res = decodeNegotiateResponse(r.reader);
    this.negotiated = res;
    this.conn.dialect = res.dialect;
    if (res.dialect === Dialect.SMB3_1_1) {
      this.conn.preauth = preauth.update(lastSent(this.conn, r)).update(r.message);
    }
    return res;
  }

  /** SESSION_SETUP with NTLMv2 (user/password) or anonymous. */
  async login(creds: ClientCredentials, opts: SessionOptions = {}): Promise<void> {
    const auth = new ClientAuthExchange(creds);
    const securityMode = opts.signing ? SecurityMode.SIGNING_REQUIRED | SecurityMode.SIGNING_ENABLED : SecurityMode.SIGNING_ENABLED;
    const preauth = this.conn.preauth?.clone();
    let token = auth.first();
    let sessionId = 0n;
    for (;;) {
      const body = encodeSessionSetupRequest({ flags: 0, securityMode, capabilities: 0, previousSessionId: 0n, securityBuffer: token });
      const r = await this.conn.request(Command.SESSION_SETUP, body, { sessionId });
      preauth?.update(lastSent(this.conn, r));
      sessionId = r.header.sessionId;
      const res = decodeSessionSetupResponse(r.reader);
      if (r.header.status === Status.MORE_PROCESSING_REQUIRED) {
        preauth?.update(r.message);
        token = auth.next(res.securityBuffer);
        continue;
      }
      if (res.securityBuffer.length) auth.next(res.securityBuffer);
      this.sessionId = sessionId;
      this.sessionFlags = res.sessionFlags;
      if (auth.sessionKey.length) {
        const key = signingKey(this.dialect, auth.sessionKey, preauth?.value);
        this.conn.setSigningKey(sessionId, key, !!opts.signing);
      }
      return;
    }
  }

  private opts(extra: RequestOptions = {}): RequestOptions {
    return { sessionId: this.sessionId, ...extra };
  }

  request(command: number, body: Buffer, extra: RequestOptions = {}): Promise<Smb2Response> {
    return this.conn.request(command, body, this.opts(extra));
  }

  async treeConnect(share: string, server = '127.0.0.1'): Promise<Tree> {
    const path = share.startsWith('\\\\') ? share : `\\\\${server}\\${share}`;
    const r = await this.request(Command.TREE_CONNECT, encodeTreeConnectRequest({ flags: 0, path }));
    return new Tree(this, r.header.treeId);
  }

  async treeDisconnect(treeId: number): Promise<void> {
    await this.request(Command.TREE_DISCONNECT, encodeTreeDisconnectRequest(), { treeId });
  }

  async echo(): Promise<void> {
    await this.conn.request(Command.ECHO, encodeEchoRequest(), this.opts());
  }

  async logoff(): Promise<void> {
    await this.request(Command.LOGOFF, encodeLogoffRequest());
    this.conn.forgetSession(this.sessionId);
    this.sessionId = 0n;
  }

  close(): void {
    this.conn.close();
  }
}

/** The exact bytes of the request that `r` answers, for the preauth hash. */
function lastSent(conn: Smb2Connection, r: Smb2Response): Buffer {
  return conn.lastRequest(r.header.messageId) ?? Buffer.alloc(0);
}

export { Tree, Access, CreateDisposition, CreateOption, ShareAccess, InfoType };
