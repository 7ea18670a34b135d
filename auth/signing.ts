import { createCipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import { Reader } from '../wire/index.js';
import { aesCmac } from './cmac.js';
import { sp800108CounterHmacSha256 } from './kdf.js';

/** Dialect revisions, [MS-SMB2] 2.2.3. */
export const Dialect = {
  SMB202: 0x0202,
  SMB210: 0x0210,
  SMB300: 0x0300,
  SMB302: 0x0302,
  SMB311: 0x0311,
} as const;

/** SigningAlgorithmId of SMB2_SIGNING_CAPABILITIES, [MS-SMB2] 2.2.3.1.7. */
export const SigningAlgorithm = {
  HMAC_SHA256: 0x0000,
  AES_CMAC: 0x0001,
  AES_GMAC: 0x0002,
} as const;

/** SMB2 header layout used by signing, [MS-SMB2] 2.2.1.2. */
const HEADER_BYTES = 64;
const COMMAND_OFFSET = 12;
const FLAGS_OFFSET = 16;
const MESSAGE_ID_OFFSET = 24;
const SIGNATURE_OFFSET = 48;
const SIGNATURE_BYTES = 16;
/** SMB2_FLAGS_SIGNED and SMB2_FLAGS_SERVER_TO_REDIR, [MS-SMB2] 2.2.1.2. */
export const SMB2_FLAGS_SIGNED = 0x00000008;
const SMB2_FLAGS_SERVER_TO_REDIR = 0x00000001;
const SMB2_CANCEL = 0x000c;

/** KDF labels and contexts, [MS-SMB2] 3.1.4.2 / 3.2.5.3.1 (the trailing NULs are part of the strings). */
const SMB30_SIGNING_LABEL = Buffer.from('SMB2AESCMAC\0', 'latin1');
const SMB30_SIGNING_CONTEXT = Buffer.from('SmbSign\0', 'latin1');
const SMB311_SIGNING_LABEL = Buffer.from('SMBSigningKey\0', 'latin1');

function checkDialect(dialect: number): void {
  if (!Object.values(Dialect).includes(dialect as (typeof Dialect)[keyof typeof Dialect])) {
    throw new RangeError(`unknown SMB2 dialect 0x${dialect.toString(16)}`);
  }
}

/** HMAC-SHA256 for 2.x, AES-128-CMAC for 3.x unless 3.1.1 negotiated another one, [MS-SMB2] 3.1.4.1. */
export function defaultSigningAlgorithm(dialect: number): number {
  return dialect >= Dialect.SMB300 ? SigningAlgorithm.AES_CMAC : SigningAlgorithm.HMAC_SHA256;
}

function checkAlgorithm(dialect: number, algorithm: number): void {
  checkDialect(dialect);
  if (algorithm === defaultSigningAlgorithm(dialect)) return;
  if (dialect === Dialect.SMB311 && Object.values(SigningAlgorithm).includes(algorithm as 0 | 1 | 2)) return;
  throw new RangeError(`signing algorithm ${algorithm} is not valid for dialect 0x${dialect.toString(16)}`);
}

/** Session.SessionKey is the first 16 bytes of the GSS key, zero-padded if shorter, [MS-SMB2] 3.3.5.5.3. */
function sessionKey16(sessionKey: Buffer): Buffer {
  const key = Buffer.alloc(16);
  sessionKey.copy(key, 0, 0, Math.min(16, sessionKey.length));
  return key;
}

/** The signing key for a session, [MS-SMB2] 3.3.5.5.3 (2.x uses the session key itself). */
export function signingKey(dialect: number, sessionKey: Buffer, preauthHash?: Buffer): Buffer {
  checkDialect(dialect);
  const key = sessionKey16(sessionKey);
  if (dialect < Dialect.SMB300) return key;
  if (dialect === Dialect.SMB311) {
    if (!preauthHash || preauthHash.length !== 64) throw new RangeError('SMB 3.1.1 signing key needs the 64-byte preauth hash');
    return sp800108CounterHmacSha256(key, SMB311_SIGNING_LABEL, preauthHash);
  }
  return sp800108CounterHmacSha256(key, SMB30_SIGNING_LABEL, SMB30_SIGNING_CONTEXT);
}

/**
 * AES-128-GMAC, [MS-SMB2] 3.1.4.1: GCM with no plaintext, the message as AAD and a 12-byte
 * nonce of MessageId, then bit 0 = response (SERVER_TO_REDIR) and bit 1 = CANCEL request.
 */
function aesGmac(key: Buffer, header: Buffer, body: Buffer[]): Buffer {
  const r = new Reader(header);
  r.seek(COMMAND_OFFSET);
  const command = r.u16();
  r.seek(FLAGS_OFFSET);
  const flags = r.u32();
  r.seek(MESSAGE_ID_OFFSET);
  const nonce = Buffer.alloc(12);
  r.bytes(8).copy(nonce);
  const isResponse = (flags & SMB2_FLAGS_SERVER_TO_REDIR) !== 0;
  nonce.writeUInt32LE((isResponse ? 1 : 0) | (!isResponse && command === SMB2_CANCEL ? 2 : 0), 8);
  const gcm = createCipheriv('aes-128-gcm', key, nonce);
  gcm.setAAD(header);
  for (const part of body) gcm.setAAD(part);
  gcm.final();
  return gcm.getAuthTag();
}

/**
 * The signature of one SMB2 message computed as if its signature field were zero,
 * [MS-SMB2] 3.1.4.1. The message is `first` (which holds the whole header) followed by `rest`;
 * only the header is copied, the body (maybe megabytes of cache pages) is streamed.
 */
function computeSignature(algorithm: number, key: Buffer, first: Buffer, rest: readonly Buffer[] = []): Buffer {
  const header = Buffer.from(first.subarray(0, HEADER_BYTES));
  header.fill(0, SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES);
  const body = [first.subarray(HEADER_BYTES), ...rest];
  if (algorithm === SigningAlgorithm.AES_CMAC) return aesCmac(key, header, ...body);
  if (algorithm === SigningAlgorithm.AES_GMAC) return aesGmac(key, header, body);
  const hmac = createHmac('sha256', key).update(header);
  for (const part of body) hmac.update(part);
  return hmac.digest().subarray(0, SIGNATURE_BYTES);
}

function checkMessage(message: Buffer): void {
  if (message.length < HEADER_BYTES) throw new RangeError(`SMB2 message of ${message.length} bytes has no full header`);
}

/**
 * 16-byte signature over `message` as if its signature field were zero; `message` is not
 * changed. `algorithm` defaults to the dialect's; 3.1.1 may have negotiated another.
 */
export function sign(dialect: number, key: Buffer, message: Buffer, algorithm = defaultSigningAlgorithm(dialect)): Buffer {
  checkAlgorithm(dialect, algorithm);
  checkMessage(message);
  return computeSignature(algorithm, key, message);
}

/** Marks the message signed, zeroes the signature field and writes the signature there. */
export function signInPlace(dialect: number, key: Buffer, message: Buffer, algorithm = defaultSigningAlgorithm(dialect)): void {
  signPartsInPlace(dialect, key, [message], algorithm);
}

/**
 * signInPlace for a message kept as a gather list (a READ response: header and body, then
 * file data as cache pages). The first part must hold the whole 64-byte header; only it is
 * written to, so the data is signed where it lies, never concatenated.
 */
export function signPartsInPlace(dialect: number, key: Buffer, parts: readonly Buffer[], algorithm = defaultSigningAlgorithm(dialect)): void {
  checkAlgorithm(dialect, algorithm);
  const [first, ...rest] = parts;
  checkMessage(first ?? Buffer.alloc(0));
  first.writeUInt32LE((first.readUInt32LE(FLAGS_OFFSET) | SMB2_FLAGS_SIGNED) >>> 0, FLAGS_OFFSET);
  computeSignature(algorithm, key, first, rest).copy(first, SIGNATURE_OFFSET);
}

/** Checks the signature in bytes 48..63 in constant time; the caller's buffer is not mutated. */
export function verify(dialect: number, key: Buffer, message: Buffer, algorithm = defaultSigningAlgorithm(dialect)): boolean {
  if (message.length < HEADER_BYTES) return false;
  const received = message.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES);
  return timingSafeEqual(received, sign(dialect, key, message, algorithm));
}
