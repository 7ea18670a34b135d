// The SMB Direct negotiate exchange, [MS-SMBD] 3.1.5.2 (client) and 3.1.5.6/3.1.5.7
// (server): the first message each way, sent without a data header and without credits.
import { SMBD_VERSION, SmbdStatus, type SmbdLimits } from './constants.js';
import type { SmbdConnection } from './connection.js';
import {
  checkNegotiateRequest, checkNegotiateResponse, decodeNegotiateRequest, decodeNegotiateResponse,
  encodeNegotiateRequest, encodeNegotiateResponse, type NegotiateRequest, type NegotiateResponse,
} from './messages.js';

function decodeOrNull<T>(decode: (b: Buffer) => T, bytes: Buffer): T | null {
  try {
    return decode(bytes);
  } catch {
    return null;
  }
}

/** Rejects (and ends the connection) if the first message does not come in time or the connection ends. */
function firstMessage(conn: SmbdConnection, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.protocolError('negotiate timed out');
      reject(new Error('SMB Direct negotiate timed out'));
    }, timeoutMs);
    conn.onClose((reason) => {
      clearTimeout(timer);
      reject(reason ?? new Error('closed during negotiate'));
    });
    conn.expectRaw((bytes) => {
      clearTimeout(timer);
      resolve(Buffer.from(bytes));
    });
  });
}

/**
 * Server side: call with receives posted, before accepting. Resolves once the response went
 * out and data transfer may start; rejects (the connection is ending) on any violation.
 */
export async function serverNegotiate(conn: SmbdConnection, limits: SmbdLimits): Promise<NegotiateRequest> {
  const bytes = await firstMessage(conn, limits.negotiateTimeoutMs);
  const req = decodeOrNull(decodeNegotiateRequest, bytes);
  const bad = checkNegotiateRequest(bytes.length, req);
  if (bad === 'version' && req) {
    await conn.sendRaw(encodeNegotiateResponse(refusal(req, limits))).catch(() => {});
    conn.protocolError(`negotiate versions 0x${req.minVersion.toString(16)}-0x${req.maxVersion.toString(16)} exclude 0x0100`);
    throw new Error('SMB Direct negotiate: version not supported');
  }
  if (bad || !req) {
    conn.protocolError(bad ?? 'undecodable negotiate request');
    throw new Error(`SMB Direct negotiate: ${bad}`);
  }
  const maxSendSize = Math.min(limits.maxSendSize, req.maxReceiveSize);
  const maxReceiveSize = Math.min(limits.maxReceiveSize, req.preferredSendSize);
  const grant = conn.credits.grantInitial(req.creditsRequested);
  await conn.sendRaw(encodeNegotiateResponse({
    minVersion: SMBD_VERSION, maxVersion: SMBD_VERSION, negotiatedVersion: SMBD_VERSION,
    creditsRequested: limits.sendCreditTarget, creditsGranted: grant, status: SmbdStatus.SUCCESS,
    maxReadWriteSize: limits.maxReadWriteSize, preferredSendSize: maxSendSize, maxReceiveSize: Math.max(maxReceiveSize, 128),
    maxFragmentedSize: limits.maxFragmentedSize,
  }));
  conn.ready({ maxSendSize, peerMaxFragmentedSize: req.maxFragmentedSize, maxReadWriteSize: limits.maxReadWriteSize });
  return req;
}

function refusal(req: NegotiateRequest, limits: SmbdLimits): NegotiateResponse {
  return {
    minVersion: SMBD_VERSION, maxVersion: SMBD_VERSION, negotiatedVersion: 0, creditsRequested: 0, creditsGranted: 0,
    status: SmbdStatus.NOT_SUPPORTED, maxReadWriteSize: 0, preferredSendSize: 0, maxReceiveSize: limits.maxReceiveSize,
    maxFragmentedSize: Math.min(req.maxFragmentedSize, limits.maxFragmentedSize),
  };
}

/** Client side: call once established, with receives posted. Overrides let tests send bad requests. */
export async function clientNegotiate(conn: SmbdConnection, limits: SmbdLimits, overrides: Partial<NegotiateRequest> = {}): Promise<NegotiateResponse> {
  const answer = firstMessage(conn, limits.negotiateTimeoutMs);
  await conn.sendRaw(encodeNegotiateRequest({
    minVersion: SMBD_VERSION, maxVersion: SMBD_VERSION, creditsRequested: limits.sendCreditTarget,
    preferredSendSize: limits.maxSendSize, maxReceiveSize: limits.maxReceiveSize, maxFragmentedSize: limits.maxFragmentedSize,
    ...overrides,
  }));
  const bytes = await answer;
  const res = decodeOrNull(decodeNegotiateResponse, bytes);
  const bad = checkNegotiateResponse(bytes.length, res, limits.maxReceiveSize);
  if (bad || !res) {
    conn.protocolError(bad ?? 'undecodable negotiate response');
    throw new Error(`SMB Direct negotiate: ${bad}`);
  }
  conn.credits.granted(res.creditsGranted, res.creditsRequested);
  conn.ready({ maxSendSize: Math.min(limits.maxSendSize, res.maxReceiveSize), peerMaxFragmentedSize: res.maxFragmentedSize, maxReadWriteSize: res.maxReadWriteSize });
  return res;
}
