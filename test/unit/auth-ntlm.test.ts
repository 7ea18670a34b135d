import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, NtlmServer } from '../../auth/ntlm-server.js';
import { Status } from '../../smb2/status.js';
import { ntHash } from '../../auth/nt-hash.js';
import { rc4 } from '../../auth/rc4.js';
import { MemoryUserDb } from '../../auth/user-db.js';
import { NtlmSessionSecurity, encodeClientBlob, ntowfv2, ntProofStr, sealKey, sessionBaseKey, signKey } from '../../auth/ntlm-crypto.js';
import { decodeAuthenticate, decodeAvPairs, decodeChallenge, encodeAuthenticate, encodeAvPairs, encodeChallenge, encodeNegotiate } from '../../auth/ntlm-messages.js';
import { cat, hex, le16, le32, utf16, zeros } from '../support/bytes.js';

// [MS-NLMP] 4.2.1 common values and 4.2.4 NTLMv2 results, typed out from the specification.
const USER = 'User';
const DOMAIN = 'Domain';
const PASSWORD = 'Password';
const SERVER_CHALLENGE = hex('01 23 45 67 89 ab cd ef');
const CLIENT_CHALLENGE = hex('aa aa aa aa aa aa aa aa');
const RANDOM_SESSION_KEY = hex('55'.repeat(16));
const NTOWFV2 = hex('0c 86 8a 40 3b fd 7a 93 a3 00 1e f2 2e f0 2e 3f');
const SESSION_BASE_KEY = hex('8d e4 0c ca db c1 4a 82 f1 5c b0 ad 0d e9 5c a3');
const NT_PROOF_STR = hex('68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c');
const LMV2_RESPONSE = hex('86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa aa aa aa aa');
const ENCRYPTED_SESSION_KEY = hex('c5 da d2 54 4f c9 79 90 94 ce 1c e9 0b c9 d0 3e');
const CHALLENGE_FLAGS = 0xe28a8233; // 33 82 8a e2
/** 4.2.4 AV pairs: MsvAvNbDomainName "Domain", MsvAvNbComputerName "Server", MsvAvEOL. */
const AV_PAIRS = cat(le16(2), le16(12), utf16('Domain'), le16(1), le16(12), utf16('Server'), le16(0), le16(0));
/** 4.2.4.1.3 temp: RespType, HiRespType, Z(6), Time = 0, ClientChallenge, Z(4), AV pairs, Z(4). */
const TEMP = cat([1, 1], zeros(6), zeros(8), CLIENT_CHALLENGE, zeros(4), AV_PAIRS, zeros(4));
/** 4.2.4.3 CHALLENGE_MESSAGE. */
const SPEC_CHALLENGE = hex(
  '4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00 38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef' +
    '00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00 06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00' +
    '65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00' +
    '65 00 72 00 00 00 00 00',
);
/** 4.2.4.3 AUTHENTICATE_MESSAGE. */
const SPEC_AUTHENTICATE = hex(
  '4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00 6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00' +
    '48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00 5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2' +
    '05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00' +
    '4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa' +
    'aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00' +
    '00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00' +
    '01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90' +
    '94 ce 1c e9 0b c9 d0 3e',
);
/** 4.2.2.3 NTLMv1 AUTHENTICATE_MESSAGE (24-byte NT response): must be refused. */
const SPEC_NTLMV1_AUTHENTICATE = hex(
  '4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00 6c 00 00 00 18 00 18 00 84 00 00 00 0c 00 0c 00' +
    '48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00 5c 00 00 00 10 00 10 00 9c 00 00 00 35 82 80 e2' +
    '05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00' +
    '4d 00 50 00 55 00 54 00 45 00 52 00 98 de f7 b8 7f 88 aa 5d af e2 df 77 96 88 a1 72 de f1 1c 7d' +
    '5c cd ef 13 67 c4 30 11 f3 02 98 a2 ad 35 ec e6 4f 16 33 1c 44 bd be d9 27 84 1f 94 51 88 22 b1' +
    'b3 f3 50 c8 95 86 82 ec bb 3e 3c b7',
);
/** A NEGOTIATE_MESSAGE asking for the 4.2.4 flags, laid out per 2.2.1.1 without Version. */
const NEGOTIATE = cat(Buffer.from('NTLMSSP\0', 'latin1'), le32(1), le32(CHALLENGE_FLAGS), zeros(16));

test('[MS-NLMP] 4.2.4.1: NTOWFv2, NTProofStr, session base key and encrypted session key', () => {
  const responseKey = ntowfv2(ntHash(PASSWORD), USER, DOMAIN);
  assert.deepEqual(responseKey, NTOWFV2);
  assert.deepEqual(ntProofStr(responseKey, SERVER_CHALLENGE, TEMP), NT_PROOF_STR);
  assert.deepEqual(sessionBaseKey(responseKey, NT_PROOF_STR), SESSION_BASE_KEY);
  // KeyExchangeKey = SessionBaseKey for NTLMv2; with KEY_EXCH the exported key travels RC4-encrypted.
  assert.deepEqual(rc4(SESSION_BASE_KEY, RANDOM_SESSION_KEY), ENCRYPTED_SESSION_KEY);
  assert.deepEqual(rc4(SESSION_BASE_KEY, ENCRYPTED_SESSION_KEY), RANDOM_SESSION_KEY);
});

test('NTLMv2 client blob encodes to the 4.2.4.1.3 temp bytes', () => {
  const avPairs = encodeAvPairs(decodeAvPairs(AV_PAIRS));
  assert.deepEqual(avPairs, AV_PAIRS);
  assert.deepEqual(encodeClientBlob({ timestamp: 0n, clientChallenge: CLIENT_CHALLENGE, avPairs }), TEMP);
});

test('[MS-NLMP] 4.2.4.4: sign and seal keys, sealed message and signature', () => {
  const sign = signKey(RANDOM_SESSION_KEY, 'client-to-server');
  const seal = sealKey(RANDOM_SESSION_KEY, 0xe2888235, 'client-to-server');
  assert.deepEqual(sign, hex('47 88 dc 86 1b 47 82 f3 5d 43 fd 98 fe 1a 2d 39'));
  assert.deepEqual(seal, hex('59 f6 00 97 3c c4 96 0a 25 48 0a 7c 19 6e 4c 58'));
  const security = new NtlmSessionSecurity(sign, seal, true);
  const { sealed, signature } = security.seal(0, utf16('Plaintext'));
  assert.deepEqual(sealed, hex('54 e5 01 65 bf 19 36 dc 99 60 20 c1 81 1b 0f 06 fb 5f'));
  assert.deepEqual(signature, hex('01 00 00 00 7f b3 8e c5 c5 5d 49 76 00 00 00 00'));
});

test('decodes the 4.2.4.3 CHALLENGE and AUTHENTICATE messages', () => {
  const challenge = decodeChallenge(SPEC_CHALLENGE);
  assert.equal(challenge.flags, CHALLENGE_FLAGS);
  assert.equal(challenge.targetName, 'Server');
  assert.deepEqual(challenge.serverChallenge, SERVER_CHALLENGE);
  assert.deepEqual(challenge.targetInfo, AV_PAIRS);
  const auth = decodeAuthenticate(SPEC_AUTHENTICATE);
  assert.equal(auth.user, USER);
  assert.equal(auth.domain, DOMAIN);
  assert.equal(auth.workstation, 'COMPUTER');
  assert.equal(auth.flags, 0xe2888235);
  assert.deepEqual(auth.lmResponse, LMV2_RESPONSE);
  assert.deepEqual(auth.ntResponse, cat(NT_PROOF_STR, TEMP));
  assert.deepEqual(auth.encryptedRandomSessionKey, ENCRYPTED_SESSION_KEY);
});

test('encodes CHALLENGE exactly like 4.2.4.3 apart from our VERSION (6.1.7601, revision 15)', () => {
  const ours = encodeChallenge({ flags: CHALLENGE_FLAGS, targetName: 'Server', serverChallenge: SERVER_CHALLENGE, targetInfo: AV_PAIRS });
  const expected = cat(SPEC_CHALLENGE.subarray(0, 48), hex('06 01 b1 1d 00 00 00 0f'), SPEC_CHALLENGE.subarray(56));
  assert.deepEqual(ours, expected);
});

test('encodes NEGOTIATE and AUTHENTICATE with Version, empty fields and a MIC slot', () => {
  const version = hex('06 01 b1 1d 00 00 00 0f');
  const negotiate = encodeNegotiate(0x00000001);
  assert.deepEqual(negotiate, cat(Buffer.from('NTLMSSP\0', 'latin1'), le32(1), le32(0x02000001), le16(0), le16(0), le32(40), le16(0), le16(0), le32(40), version));
  const auth = encodeAuthenticate({
    flags: 0x00000001, lmResponse: hex('00'), ntResponse: Buffer.alloc(0), domain: 'D', user: 'U', workstation: '', encryptedRandomSessionKey: Buffer.alloc(0),
  });
  const field = (len: number, off: number): Buffer => cat(le16(len), le16(len), le32(off));
  const expected = cat(
    Buffer.from('NTLMSSP\0', 'latin1'), le32(3),
    field(1, 88), field(0, 89), field(2, 89), field(2, 91), field(0, 93), field(0, 93),
    le32(0x02000001), version, zeros(16), [0x00], utf16('D'), utf16('U'),
  );
  assert.deepEqual(auth, expected);
});

function specServer(users = new MemoryUserDb([{ name: USER, ntHash: ntHash(PASSWORD) }])): NtlmServer {
  return new NtlmServer({ users, serverName: 'Server', domain: 'Domain', challengeSource: () => Buffer.from(SERVER_CHALLENGE) });
}

test('NtlmServer accepts the 4.2.4.3 AUTHENTICATE and recovers the exported session key', () => {
  const server = specServer();
  server.challenge(NEGOTIATE);
  const result = server.authenticate(SPEC_AUTHENTICATE);
  assert.deepEqual(result, { user: USER, domain: DOMAIN, anonymous: false, guest: false, sessionKey: RANDOM_SESSION_KEY });
});

test('NtlmServer matches the user name case-insensitively and reports the stored spelling', () => {
  const server = specServer(new MemoryUserDb([{ name: 'uSeR', ntHash: ntHash(PASSWORD) }]));
  server.challenge(NEGOTIATE);
  assert.equal(server.authenticate(SPEC_AUTHENTICATE).user, 'uSeR');
});

test('NtlmServer refuses the 4.2.4.3 AUTHENTICATE under a wrong password or another challenge', () => {
  const wrong = specServer(new MemoryUserDb([{ name: USER, ntHash: ntHash('password') }]));
  wrong.challenge(NEGOTIATE);
  assert.throws(() => wrong.authenticate(SPEC_AUTHENTICATE), (e) => e instanceof AuthError && e.status === Status.LOGON_FAILURE);
  assert.throws(() => wrong.authenticate(SPEC_AUTHENTICATE), (e) => e instanceof AuthError && e.status === Status.INVALID_PARAMETER, 'no second try');
  const other = new NtlmServer({ users: new MemoryUserDb([{ name: USER, ntHash: ntHash(PASSWORD) }]), serverName: 'S', domain: 'D' });
  other.challenge(NEGOTIATE);
  assert.throws(() => other.authenticate(SPEC_AUTHENTICATE), (e) => e instanceof AuthError && e.status === Status.LOGON_FAILURE);
});

test('NtlmServer refuses the 4.2.2.3 NTLMv1 AUTHENTICATE even with the right password', () => {
  const server = specServer();
  server.challenge(NEGOTIATE);
  assert.throws(() => server.authenticate(SPEC_NTLMV1_AUTHENTICATE), (e) => e instanceof AuthError && e.status === Status.LOGON_FAILURE);
});

test('NtlmServer refuses a named user with no password proof (smbclient -N tries this before anonymous)', () => {
  for (const mapUnknownUserToGuest of [false, true]) {
    const server = new NtlmServer({ users: new MemoryUserDb([{ name: USER, ntHash: ntHash(PASSWORD) }]), serverName: 'S', domain: 'D', mapUnknownUserToGuest });
    server.challenge(NEGOTIATE);
    const empty = encodeAuthenticate({
      flags: CHALLENGE_FLAGS, lmResponse: Buffer.alloc(0), ntResponse: Buffer.alloc(0),
      domain: 'WORKGROUP', user: USER, workstation: 'W', encryptedRandomSessionKey: Buffer.alloc(0),
    });
    assert.throws(() => server.authenticate(empty), (e) => e instanceof AuthError && e.status === Status.LOGON_FAILURE && /no password proof/.test(e.message));
  }
});

test('NtlmServer turns every truncation and out-of-range field into AuthError', () => {
  for (let n = 0; n < SPEC_AUTHENTICATE.length; n++) {
    const server = specServer();
    server.challenge(NEGOTIATE);
    assert.throws(() => server.authenticate(SPEC_AUTHENTICATE.subarray(0, n)), AuthError, `truncated to ${n}`);
  }
  const pastEnd = Buffer.from(SPEC_AUTHENTICATE);
  pastEnd.writeUInt32LE(0xfffffff0, 32); // DomainNameFields.Offset
  const server = specServer();
  server.challenge(NEGOTIATE);
  assert.throws(() => server.authenticate(pastEnd), (e) => e instanceof AuthError && e.status === Status.INVALID_PARAMETER);
});

test('NtlmServer refuses messages out of order and malformed NEGOTIATE', () => {
  const server = specServer();
  assert.throws(() => server.authenticate(SPEC_AUTHENTICATE), AuthError);
  assert.throws(() => server.challenge(hex('4e544c4d53535000 02000000 00000000')), AuthError);
  server.challenge(NEGOTIATE);
  assert.throws(() => server.challenge(NEGOTIATE), AuthError);
  server.authenticate(SPEC_AUTHENTICATE);
  assert.throws(() => server.authenticate(SPEC_AUTHENTICATE), AuthError);
});
