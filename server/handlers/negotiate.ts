import { randomBytes } from 'node:crypto';
import { Writer } from '../../wire/index.js';
import {
  ALL_DIALECTS, Capability, Command, Dialect, HashAlgorithm, HeaderFlag, NegotiateContextType, SecurityMode, SigningAlgorithm,
} from '../../smb2/constants.js';
import {
  decodeIdListContext, decodeNegotiateRequest, decodePreauthContext, encodeIdListContext, encodeNegotiateResponse,
  encodePreauthContext, type NegotiateContext, type NegotiateRequest,
} from '../../smb2/commands/negotiate.js';
import { decodeSmb1Negotiate } from '../../smb2/smb1-negotiate.js';
import { encodeHeader, headerDefaults } from '../../smb2/header.js';
import { Status } from '../../smb2/status.js';
import { fileTimeFromMs } from '../../smb2/info/index.js';
import { spnegoNegotiateToken } from '../../auth/spnego.js';
import { PreauthHash } from '../../auth/preauth.js';
import type { ConnectionState } from '../state.js';
import type { ServerCore } from '../server-core.js';
import type { HandlerResult, RequestContext } from '../handler.js';

/** SMB 2.0.2 has no LARGE_MTU: one credit covers at most 64 KiB, [MS-SMB2] 3.3.5.4. */
const SMB2_0_2_MAX_IO = 65536;

function pickDialect(core: ServerCore, offered: number[]): number | undefined {
  const { minDialect, maxDialect } = core.options;
  const usable = ALL_DIALECTS.filter((d) => d >= minDialect && d <= maxDialect && offered.includes(d));
  return usable.length ? Math.max(...usable) : undefined;
}

function serverSecurityMode(core: ServerCore): number {
  return SecurityMode.SIGNING_ENABLED | (core.options.signing === 'mandatory' ? SecurityMode.SIGNING_REQUIRED : 0);
}

function serverCapabilities(core: ServerCore, dialect: number): number {
  let caps = 0;
  if (dialect >= Dialect.SMB2_1) caps |= Capability.LARGE_MTU;
  if (dialect >= Dialect.SMB2_1) caps |= Capability.LEASING; // [MS-SMB2] 3.3.5.4: leases, server/oplocks/
  if (dialect >= Dialect.SMB3_0 && core.options.interfaces.length > 0) caps |= Capability.MULTI_CHANNEL;
  return caps;
}

/** The 3.1.1 contexts the server answers, [MS-SMB2] 3.3.5.4; null when the request is unacceptable. */
function answerContexts(req: NegotiateRequest): NegotiateContext[] | null {
  const preauth = req.contexts.filter((c) => c.type === NegotiateContextType.PREAUTH_INTEGRITY_CAPABILITIES);
  if (preauth.length !== 1) return null;
  if (!decodePreauthContext(preauth[0].data).hashAlgorithms.includes(HashAlgorithm.SHA_512)) return null;
  const out = [encodePreauthContext([HashAlgorithm.SHA_512], randomBytes(32))];
  const signing = req.contexts.find((c) => c.type === NegotiateContextType.SIGNING_CAPABILITIES);
  if (signing && decodeIdListContext(signing.data).includes(SigningAlgorithm.AES_CMAC)) {
    out.push(encodeIdListContext(NegotiateContextType.SIGNING_CAPABILITIES, [SigningAlgorithm.AES_CMAC]));
  }
  return out;
}

function responseFor(core: ServerCore, dialect: number, contexts: NegotiateContext[]): Buffer {
  const o = core.options;
  const maxIo = dialect === Dialect.SMB2_0_2 ? Math.min(o.maxIoSize, SMB2_0_2_MAX_IO) : o.maxIoSize;
  return encodeNegotiateResponse({
    securityMode: serverSecurityMode(core),
    dialect,
    serverGuid: core.serverGuid,
    capabilities: dialect === Dialect.SMB2_WILDCARD ? 0 : serverCapabilities(core, dialect),
    maxTransactSize: maxIo,
    maxReadSize: maxIo,
    maxWriteSize: maxIo,
    systemTime: fileTimeFromMs(Date.now()),
    serverStartTime: 0n,
    securityBuffer: spnegoNegotiateToken(),
    contexts,
  });
}

/** NEGOTIATE, [MS-SMB2] 3.3.5.4. A second NEGOTIATE on a connection closes it. */
export async function negotiate(ctx: RequestContext): Promise<HandlerResult> {
  const conn = ctx.conn;
  if (conn.negotiated) return { status: Status.INVALID_PARAMETER, reply: { disconnect: true } };
  const req = decodeNegotiateRequest(ctx.reader);
  const dialect = pickDialect(ctx.core, req.dialects);
  if (dialect === undefined) return { status: Status.NOT_SUPPORTED };
  let contexts: NegotiateContext[] = [];
  if (dialect === Dialect.SMB3_1_1) {
    const answered = answerContexts(req);
    if (!answered) return { status: Status.INVALID_PARAMETER };
    contexts = answered;
    conn.preauth = new PreauthHash().update(ctx.message);
  }
  conn.negotiated = {
    dialect,
    clientGuid: Buffer.from(req.clientGuid),
    clientCapabilities: req.capabilities,
    clientSecurityMode: req.securityMode,
    clientDialects: req.dialects,
    serverSecurityMode: serverSecurityMode(ctx.core),
    serverCapabilities: serverCapabilities(ctx.core, dialect),
  };
  ctx.log.debug({ dialect: conn.dialectName }, 'negotiated');
  const preauth = conn.preauth;
  return {
    status: Status.SUCCESS,
    body: responseFor(ctx.core, dialect, contexts),
    reply: { onEncoded: dialect === Dialect.SMB3_1_1 ? (m) => void preauth?.update(m) : undefined },
  };
}

/**
 * The SMB1 NEGOTIATE a client may open with, [MS-SMB2] 3.3.5.3.1: "SMB 2.???" gets the 0x02FF
 * wildcard (the client then sends an SMB2 NEGOTIATE), "SMB 2.002" alone settles on 2.0.2.
 */
export async function answerSmb1Negotiate(core: ServerCore, conn: ConnectionState, message: Buffer): Promise<Buffer | null> {
  let dialects: string[];
  try {
    dialects = decodeSmb1Negotiate(message);
  } catch {
    return null;
  }
  const o = core.options;
  let dialect: number;
  if (dialects.includes('SMB 2.???') && o.maxDialect >= Dialect.SMB2_1) dialect = Dialect.SMB2_WILDCARD;
  else if (dialects.includes('SMB 2.002') && o.minDialect <= Dialect.SMB2_0_2) dialect = Dialect.SMB2_0_2;
  else return null;
  if (!conn.credits.consume(0n, 1)) return null;
  if (dialect === Dialect.SMB2_0_2) {
    conn.negotiated = {
      dialect, clientGuid: Buffer.alloc(16), clientCapabilities: 0, clientSecurityMode: 0, clientDialects: [dialect],
      serverSecurityMode: serverSecurityMode(core), serverCapabilities: 0,
    };
  }
  const w = new Writer(0);
  encodeHeader(w, headerDefaults({ command: Command.NEGOTIATE, credits: conn.credits.grant(1), flags: HeaderFlag.SERVER_TO_REDIR }));
  w.bytes(responseFor(core, dialect, []));
  return w.finish();
}
