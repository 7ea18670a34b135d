import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { Dialect, SMB2_FLAGS_SIGNED, SigningAlgorithm, sign, signInPlace, signPartsInPlace, signingKey, verify } from '../../auth/signing.js';
import { PreauthHash } from '../../auth/preauth.js';
import { aesCmac } from '../../auth/cmac.js';
import { cat, hex, le16, le32, le64, zeros } from '../support/bytes.js';

const ALL_DIALECTS = [Dialect.SMB202, Dialect.SMB210, Dialect.SMB300, Dialect.SMB302, Dialect.SMB311];
const SESSION_KEY = hex('00112233445566778899aabbccddeeff');
const PREAUTH = createHash('sha512').update('some negotiate and session setup bytes').digest();

/** An SMB2 READ request laid out field by field per [MS-SMB2] 2.2.1.2 and 2.2.19. */
function readRequest(flags = 0, command = 0x0008): Buffer {
  const header = cat(
    hex('fe 53 4d 42'), le16(64), le16(1), le32(0), le16(command), le16(1),
    le32(flags), le32(0), le64(7), le32(0xfeff), le32(3), le64(0x1122334455667788n), zeros(16),
  );
  const body = cat(le16(49), [0x50, 0], le32(4096), le64(0), hex('aa'.repeat(16)), le32(1), le32(0), le32(0), le16(0), le16(0), [0]);
  return cat(header, body);
}

/** SP800-108 counter mode, HMAC-SHA256, one block, L = 128: written out here independently of auth/kdf.ts. */
function independentKdf(key: Buffer, label: string, context: Buffer): Buffer {
  const input = cat(hex('00000001'), Buffer.from(label, 'latin1'), [0x00], context, hex('00000080'));
  return createHmac('sha256', key).update(input).digest().subarray(0, 16);
}

test('signing keys: 2.x uses the session key, 3.0/3.0.2 and 3.1.1 use the SP800-108 KDF', () => {
  assert.deepEqual(signingKey(Dialect.SMB202, SESSION_KEY), SESSION_KEY);
  assert.deepEqual(signingKey(Dialect.SMB210, SESSION_KEY), SESSION_KEY);
  const smb30 = independentKdf(SESSION_KEY, 'SMB2AESCMAC\0', Buffer.from('SmbSign\0', 'latin1'));
  assert.deepEqual(signingKey(Dialect.SMB300, SESSION_KEY), smb30);
  assert.deepEqual(signingKey(Dialect.SMB302, SESSION_KEY), smb30);
  assert.deepEqual(signingKey(Dialect.SMB311, SESSION_KEY, PREAUTH), independentKdf(SESSION_KEY, 'SMBSigningKey\0', PREAUTH));
  assert.notDeepEqual(signingKey(Dialect.SMB311, SESSION_KEY, PREAUTH), smb30);
});

test('signing keys refuse 3.1.1 without a preauth hash and unknown dialects', () => {
  assert.throws(() => signingKey(Dialect.SMB311, SESSION_KEY), RangeError);
  assert.throws(() => signingKey(0x0222, SESSION_KEY), RangeError);
});

function expectedSignature(dialect: number, key: Buffer, message: Buffer): Buffer {
  const zeroed = Buffer.from(message);
  zeroed.fill(0, 48, 64);
  if (dialect >= Dialect.SMB300) return aesCmac(key, zeroed);
  return createHmac('sha256', key).update(zeroed).digest().subarray(0, 16);
}

for (const dialect of ALL_DIALECTS) {
  const name = `0x${dialect.toString(16).padStart(4, '0')}`;
  test(`dialect ${name}: signInPlace sets SMB2_FLAGS_SIGNED, signs, and verify accepts it`, () => {
    const key = signingKey(dialect, SESSION_KEY, PREAUTH);
    const message = readRequest();
    message.fill(0xee, 48, 64); // stale bytes in the signature field must not matter
    signInPlace(dialect, key, message);
    assert.equal(message.readUInt32LE(16) & SMB2_FLAGS_SIGNED, SMB2_FLAGS_SIGNED);
    assert.deepEqual(message.subarray(48, 64), expectedSignature(dialect, key, message));
    assert.deepEqual(sign(dialect, key, message), message.subarray(48, 64));
    assert.equal(verify(dialect, key, message), true);
  });

  test(`dialect ${name}: verify rejects tampering and the wrong key, without mutating the message`, () => {
    const key = signingKey(dialect, SESSION_KEY, PREAUTH);
    const message = readRequest();
    signInPlace(dialect, key, message);
    const snapshot = Buffer.from(message);
    for (const at of [0, 20, 47, 48, 63, 64, message.length - 1]) {
      const tampered = Buffer.from(message);
      tampered[at] ^= 0x01;
      assert.equal(verify(dialect, key, tampered), false, `flipped byte ${at}`);
    }
    assert.equal(verify(dialect, signingKey(dialect, randomBytes(16), PREAUTH), message), false);
    assert.deepEqual(message, snapshot);
    assert.equal(verify(dialect, key, message.subarray(0, 63)), false);
  });
}

test('signing covers large bodies (a 1 MiB WRITE payload) the same as the byte-by-byte definition', () => {
  const key = signingKey(Dialect.SMB302, SESSION_KEY);
  const message = cat(readRequest(), randomBytes(1 << 20));
  signInPlace(Dialect.SMB302, key, message);
  assert.deepEqual(message.subarray(48, 64), expectedSignature(Dialect.SMB302, key, message));
});

test('PreauthHash chains SHA-512 from 64 zero bytes and clones independently', () => {
  const negotiateRequest = Buffer.from('negotiate request');
  const negotiateResponse = Buffer.from('negotiate response');
  const h = new PreauthHash();
  assert.deepEqual(h.value, zeros(64));
  h.update(negotiateRequest);
  const h1 = createHash('sha512').update(zeros(64)).update(negotiateRequest).digest();
  assert.deepEqual(h.value, h1);
  const session = h.clone();
  h.update(negotiateResponse);
  const h2 = createHash('sha512').update(h1).update(negotiateResponse).digest();
  assert.deepEqual(h.value, h2);
  assert.deepEqual(session.value, h1, 'the clone is unaffected by later updates');
  session.value.fill(0);
  assert.deepEqual(session.value, h1, 'value is a copy');
});

/** AES-GMAC per [MS-SMB2] 3.1.4.1, written out here: nonce = MessageId || role/cancel bits, AAD = zeroed message. */
function independentGmac(key: Buffer, message: Buffer, nonceFlags: number): Buffer {
  const zeroed = Buffer.from(message);
  zeroed.fill(0, 48, 64);
  const gcm = createCipheriv('aes-128-gcm', key, cat(message.subarray(24, 32), le32(nonceFlags)));
  gcm.setAAD(zeroed);
  gcm.final();
  return gcm.getAuthTag();
}

test('3.1.1 AES-GMAC signing: nonce carries MessageId, the response bit and the CANCEL bit', () => {
  const key = signingKey(Dialect.SMB311, SESSION_KEY, PREAUTH);
  const gmac = SigningAlgorithm.AES_GMAC;
  const request = readRequest();
  signInPlace(Dialect.SMB311, key, request, gmac);
  assert.deepEqual(request.subarray(48, 64), independentGmac(key, request, 0));
  assert.equal(verify(Dialect.SMB311, key, request, gmac), true);
  assert.equal(verify(Dialect.SMB311, key, request), false, 'a GMAC signature is not a CMAC signature');
  const response = readRequest(0x1);
  signInPlace(Dialect.SMB311, key, response, gmac);
  assert.deepEqual(response.subarray(48, 64), independentGmac(key, response, 1));
  const cancel = readRequest(0, 0x000c);
  assert.deepEqual(sign(Dialect.SMB311, key, cancel, gmac), independentGmac(key, cancel, 2));
  const tampered = Buffer.from(request);
  tampered[100] ^= 1;
  assert.equal(verify(Dialect.SMB311, key, tampered, gmac), false);
  assert.throws(() => sign(Dialect.SMB302, key, request, gmac), RangeError, 'GMAC exists only in 3.1.1');
});

test('signing a gather list equals signing the concatenated message, for every algorithm and split', () => {
  const cases: Array<[number, number]> = [
    [0x0210, SigningAlgorithm.HMAC_SHA256],
    [0x0300, SigningAlgorithm.AES_CMAC],
    [0x0311, SigningAlgorithm.AES_CMAC],
    [0x0311, SigningAlgorithm.AES_GMAC],
  ];
  const key = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const message = Buffer.alloc(64 + 80 + 3 * 4096 + 5);
  for (let i = 0; i < message.length; i++) message[i] = (i * 31 + 7) & 0xff;
  for (const [dialect, algorithm] of cases) {
    const whole = Buffer.from(message);
    signInPlace(dialect, key, whole, algorithm);
    // Split points inside the header part's body, at page edges and at odd offsets.
    for (const cuts of [[144], [64, 144], [144, 144 + 4096, 144 + 8192], [150, 151, 4099, 12000]]) {
      const copy = Buffer.from(message);
      const bounds = [0, ...cuts, copy.length];
      const parts = bounds.slice(1).map((end, i) => copy.subarray(bounds[i], end));
      signPartsInPlace(dialect, key, parts, algorithm);
      assert.deepEqual(copy, whole, `dialect ${dialect.toString(16)} algorithm ${algorithm} cuts ${cuts}`);
      assert.ok(verify(dialect, key, copy, algorithm));
    }
  }
  assert.throws(() => signPartsInPlace(0x0300, key, [message.subarray(0, 40), message.subarray(40)]), RangeError);
});
