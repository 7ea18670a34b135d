import { createHmac, timingSafeEqual } from 'node:crypto';
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

/** SMB2 header layout used by signing, [MS-SMB2] 2.2.1.2. */
const HEADER_BYTES = 64;
const FLAGS_OFFSET = 16;
const SIGNATURE_OFFSET = 48;
const SIGNATURE_BYTES = 16;
/** SMB2_FLAGS_SIGNED, [MS-SMB2] 2.2.1.2. */
export const SMB2_FLAGS_SIGNED = 0x00000008;

/** KDF labels and contexts, [MS-SMB2] 3.1.4.2 / 3.2.5.3.1 (the trailing NULs are part of the strings). */
const SMB30_SIGNING_LABEL = Buffer.from('SMB2AESCMAC\0', 'latin1');
const SMB30_SIGNING_CONTEXT = Buffer.from('SmbSign\0', 'latin1');
const SMB311_SIGNING_LABEL = Buffer.from('SMBSigningKey\0', 'latin1');

const usesCmac = (dialect: number): boolean => dialect >= Dialect.SMB300;

function checkDialect(dialect: number): void {
  if (!Object.values(Dialect).includes(dialect as (typeof Dialect)[keyof typeof Dialect])) {
    throw new RangeError(`unknown SMB2 dialect 0x${dialect.toString(16)}`);
  }
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
  if (!usesCmac(dialect)) return key;
  if (dialect === Dialect.SMB311) {
    if (!preauthHash || preauthHash.length !== 64) throw new RangeError('SMB 3.1.1 signing key needs the 64-byte preauth hash');
    return sp800108CounterHmacSha256(key, SMB311_SIGNING_LABEL, preauthHash);
  }
  return sp800108CounterHmacSha256(key, SMB30_SIGNING_LABEL, SMB30_SIGNING_CONTEXT);
}

/**
 * The signature of one SMB2 message computed as if its signature field were zero,
 * [MS-SMB2] 3.1.4.1. Only the header is copied; the body (maybe megabytes of data) is not.
 */
function computeSignature(dialect: number, key: Buffer, message: Buffer): Buffer {
  const header = Buffer.from(message.subarray(0, HEADER_BYTES));
  header.fill(0, SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES);
  const body = message.subarray(HEADER_BYTES);
  if (usesCmac(dialect)) return aesCmac(key, header, body);
  return createHmac('sha256', key).update(header).update(body).digest().subarray(0, SIGNATURE_BYTES);
}

function checkMessage(message: Buffer): void {
  if (message.length < HEADER_BYTES) throw new RangeError(`SMB2 message of ${message.length} bytes has no full header`);
}

/** 16-byte signature over `message` as if its signature field were zero; `message` is not changed. */
export function sign(dialect: number, key: Buffer, message: Buffer): Buffer {
  checkDialect(dialect);
  checkMessage(message);
  return computeSignature(dialect, key, message);
}

/** Marks the message signed, zeroes the signature field and writes the signature there. */
export function signInPlace(dialect: number, key: Buffer, message: Buffer): void {
  checkDialect(dialect);
  checkMessage(message);
  message.writeUInt32LE((message.readUInt32LE(FLAGS_OFFSET) | SMB2_FLAGS_SIGNED) >>> 0, FLAGS_OFFSET);
  computeSignature(dialect, key, message).copy(message, SIGNATURE_OFFSET);
}

/** Checks the signature in bytes 48..63 in constant time; the caller's buffer is not mutated. */
export function verify(dialect: number, key: Buffer, message: Buffer): boolean {
  if (message.length < HEADER_BYTES) return false;
  const received = message.subarray(SIGNATURE_OFFSET, SIGNATURE_OFFSET + SIGNATURE_BYTES);
  const expected = sign(dialect, key, message);
  return timingSafeEqual(received, expected);
}
