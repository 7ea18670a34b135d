import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthError, NtlmServer } from '../../auth/ntlm-server.js';
import { Status } from '../../smb2/status.js';
import { ServerAuthExchange, type AuthStep } from '../../auth/server-session-auth.js';
import { ClientAuthExchange, NtlmClient, type ClientCredentials } from '../../auth/ntlm-client.js';
import { NtlmSessionSecurity } from '../../auth/ntlm-crypto.js';
import { spnegoClientResp, spnegoParse } from '../../auth/spnego.js';
import { ntHash } from '../../auth/nt-hash.js';
import { MemoryUserDb } from '../../auth/user-db.js';
import { cat, hex } from '../support/bytes.js';

const users = new MemoryUserDb([{ name: 'Alice', ntHash: ntHash('correct horse') }]);
const serverOpts = { users, serverName: 'SPLICED', domain: 'WORKGROUP' };

const isAuthError = (status: number) => (e: unknown) => e instanceof AuthError && e.status === status;

function done(step: AuthStep): Extract<AuthStep, { done: true }> {
  assert.equal(step.done, true);
  return step as Extract<AuthStep, { done: true }>;
}

/** Runs SPNEGO/NTLM between the two real implementations; `tamper` may rewrite the client's second token. */
function exchange(creds: ClientCredentials, opts: { guest?: boolean; tamper?: (t: Buffer) => Buffer } = {}) {
  const server = new ServerAuthExchange({ ...serverOpts, mapUnknownUserToGuest: opts.guest });
  const client = new ClientAuthExchange(creds);
  const first = server.step(client.first());
  assert.equal(first.done, false);
  const second = client.next(first.outToken);
  const last = done(server.step(opts.tamper ? opts.tamper(second) : second));
  assert.equal(client.next(last.outToken).length, 0);
  assert.equal(client.done, true);
  return { result: last.result, client, serverToken: last.outToken };
}

test('right password: both sides derive the same 16-byte session key and verify each other\'s mechListMIC', () => {
  const { result, client, serverToken } = exchange({ user: 'alice', password: 'correct horse', domain: 'ANYWHERE' });
  assert.equal(result.user, 'Alice');
  assert.equal(result.domain, 'ANYWHERE');
  assert.equal(result.anonymous, false);
  assert.equal(result.guest, false);
  assert.equal(result.sessionKey.length, 16);
  assert.deepEqual(result.sessionKey, client.sessionKey);
  assert.equal(client.serverMicVerified, true);
  const final = spnegoParse(serverToken);
  assert.equal(final.negState, 0);
  assert.equal(final.mechListMic?.length, 16);
});

test('wrong password fails with STATUS_LOGON_FAILURE', () => {
  assert.throws(() => exchange({ user: 'Alice', password: 'Correct horse' }), isAuthError(Status.LOGON_FAILURE));
});

test('unknown user: STATUS_LOGON_FAILURE, or a guest session without a key when mapped to guest', () => {
  assert.throws(() => exchange({ user: 'mallory', password: 'x' }), isAuthError(Status.LOGON_FAILURE));
  const { result, client } = exchange({ user: 'mallory', password: 'x' }, { guest: true });
  assert.deepEqual(result, { user: 'mallory', domain: '', anonymous: false, guest: true, sessionKey: Buffer.alloc(0) });
  assert.equal(client.serverMicVerified, false);
});

test('a known user with a wrong password is not mapped to guest', () => {
  assert.throws(() => exchange({ user: 'alice', password: 'nope' }, { guest: true }), isAuthError(Status.LOGON_FAILURE));
});

test('anonymous: empty user and NT response give an anonymous session without a key', () => {
  const { result, client } = exchange({ anonymous: true });
  assert.deepEqual(result, { user: '', domain: '', anonymous: true, guest: false, sessionKey: Buffer.alloc(0) });
  assert.equal(client.sessionKey.length, 0);
});

/** Rewrites the client's NegTokenResp: `ntlm` edits the AUTHENTICATE, `mic` edits the mechListMIC. */
function rewrite(token: Buffer, edit: { ntlm?: (b: Buffer) => void; mic?: (b: Buffer) => void }): Buffer {
  const parsed = spnegoParse(token);
  const ntlm = Buffer.from(parsed.mechToken!);
  const mic = Buffer.from(parsed.mechListMic!);
  edit.ntlm?.(ntlm);
  edit.mic?.(mic);
  return spnegoClientResp(ntlm, mic);
}

test('a corrupted client mechListMIC is refused', () => {
  const tamper = (t: Buffer): Buffer => rewrite(t, { mic: (m) => void (m[5] ^= 1) });
  assert.throws(() => exchange({ user: 'alice', password: 'correct horse' }, { tamper }), isAuthError(Status.ACCESS_DENIED));
});

test('a corrupted AUTHENTICATE MIC is refused', () => {
  const tamper = (t: Buffer): Buffer => rewrite(t, { ntlm: (m) => void (m[72] ^= 1) });
  assert.throws(() => exchange({ user: 'alice', password: 'correct horse' }, { tamper }), isAuthError(Status.LOGON_FAILURE));
});

test('the client refuses a corrupted server mechListMIC', () => {
  const server = new ServerAuthExchange(serverOpts);
  const client = new ClientAuthExchange({ user: 'alice', password: 'correct horse' });
  const second = client.next(server.step(client.first()).outToken);
  const last = server.step(second).outToken;
  const corrupted = Buffer.from(last);
  corrupted[corrupted.length - 3] ^= 1;
  assert.throws(() => client.next(corrupted), AuthError);
});

test('an AUTHENTICATE replayed into another exchange fails (new challenge)', () => {
  const client = new ClientAuthExchange({ user: 'alice', password: 'correct horse' });
  const first = client.first();
  const original = new ServerAuthExchange(serverOpts);
  const second = client.next(original.step(first).outToken);
  const other = new ServerAuthExchange(serverOpts);
  other.step(first);
  assert.throws(() => other.step(second), isAuthError(Status.LOGON_FAILURE));
});

test('raw NTLMSSP without SPNEGO is answered raw', () => {
  const server = new ServerAuthExchange(serverOpts);
  const client = new NtlmClient({ user: 'ALICE', password: 'correct horse' });
  const challenge = server.step(client.negotiate());
  assert.equal(challenge.done, false);
  assert.equal(challenge.outToken.subarray(0, 8).toString('latin1'), 'NTLMSSP\0');
  const last = done(server.step(client.authenticate(challenge.outToken)));
  assert.equal(last.outToken.length, 0);
  assert.deepEqual(last.result.sessionKey, client.sessionKey);
});

// A client that prefers Kerberos: [MS-KILE] OID, then NTLMSSP; it sends an optimistic Kerberos token.
const SPNEGO_OID = hex('06 06 2b 06 01 05 05 02');
const NTLMSSP_OID = hex('06 0a 2b 06 01 04 01 82 37 02 02 0a');
const KRB_FIRST_MECH_TYPES = cat(hex('30 17 06 09 2a 86 48 82 f7 12 01 02 02'), NTLMSSP_OID);
const KRB_FIRST_INIT = cat(hex('60 2f'), SPNEGO_OID, hex('a0 25 30 23 a0 19'), KRB_FIRST_MECH_TYPES, hex('a2 06 04 04 60 02 05 00'));

function krbFirstExchange(sendMic: boolean) {
  const server = new ServerAuthExchange(serverOpts);
  const selected = server.step(KRB_FIRST_INIT);
  const reply = spnegoParse(selected.outToken);
  assert.equal(reply.negState, 3, 'request-mic: NTLMSSP is not the client\'s first choice');
  assert.deepEqual(reply.supportedMech, NTLMSSP_OID);
  assert.equal(reply.mechToken, undefined);
  const client = new NtlmClient({ user: 'alice', password: 'correct horse' });
  const challenge = spnegoParse(server.step(spnegoClientResp(client.negotiate())).outToken);
  assert.equal(challenge.negState, 1);
  const authenticate = client.authenticate(challenge.mechToken!);
  const mic = NtlmSessionSecurity.forDirection(client.sessionKey, client.flags, 'client-to-server').sign(0, KRB_FIRST_MECH_TYPES);
  return { last: server.step(spnegoClientResp(authenticate, sendMic ? mic : undefined)), client };
}

test('NTLMSSP as second choice: request-mic, then the MIC covers the client\'s full mechTypes list', () => {
  const { last, client } = krbFirstExchange(true);
  const final = spnegoParse(done(last).outToken);
  const inbound = NtlmSessionSecurity.forDirection(client.sessionKey, client.flags, 'server-to-client');
  assert.equal(inbound.verify(0, KRB_FIRST_MECH_TYPES, final.mechListMic!), true);
});

test('NTLMSSP as second choice without a client mechListMIC is refused', () => {
  assert.throws(() => krbFirstExchange(false), isAuthError(Status.ACCESS_DENIED));
});

test('malformed or out-of-order security buffers raise AuthError, never another error', () => {
  const client = new ClientAuthExchange({ user: 'alice', password: 'correct horse' });
  const first = client.first();
  for (let n = 0; n < first.length; n++) {
    assert.throws(() => new ServerAuthExchange(serverOpts).step(first.subarray(0, n)), AuthError, `first token cut to ${n}`);
  }
  const server = new ServerAuthExchange(serverOpts);
  const second = client.next(server.step(first).outToken);
  for (let n = 0; n < second.length; n += 7) {
    const s = new ServerAuthExchange(serverOpts);
    s.step(first);
    assert.throws(() => s.step(second.subarray(0, n)), AuthError, `second token cut to ${n}`);
  }
  assert.throws(() => new ServerAuthExchange(serverOpts).step(second), AuthError, 'NegTokenResp first');
  done(server.step(second));
  assert.throws(() => server.step(second), AuthError, 'step after done');
});

test('a failed exchange is over: a second AUTHENTICATE, even a correct one, is refused', () => {
  const server = new ServerAuthExchange(serverOpts);
  const wrong = new ClientAuthExchange({ user: 'alice', password: 'guess 1' });
  const challenge = server.step(wrong.first()).outToken;
  assert.throws(() => server.step(wrong.next(challenge)), isAuthError(Status.LOGON_FAILURE));
  const right = new ClientAuthExchange({ user: 'alice', password: 'correct horse' });
  right.first();
  assert.throws(() => server.step(right.next(challenge)), isAuthError(Status.INVALID_PARAMETER));
});

test('the client turns truncated or corrupted server tokens into AuthError', () => {
  const server = new ServerAuthExchange(serverOpts);
  const challenge = server.step(new ClientAuthExchange({ user: 'alice', password: 'x' }).first()).outToken;
  for (let n = 0; n < challenge.length; n++) {
    const client = new ClientAuthExchange({ user: 'alice', password: 'x' });
    client.first();
    assert.throws(() => client.next(challenge.subarray(0, n)), AuthError, `challenge cut to ${n}`);
  }
  for (let at = 0; at < challenge.length; at++) {
    const corrupt = Buffer.from(challenge);
    corrupt[at] ^= 0xff;
    const client = new ClientAuthExchange({ user: 'alice', password: 'x' });
    client.first();
    try {
      client.next(corrupt);
    } catch (e) {
      assert.ok(e instanceof AuthError, `byte ${at}: ${(e as Error).message}`);
    }
  }
});

test('every single-byte corruption of a valid AUTHENTICATE fails cleanly with AuthError', (t) => {
  // Each fresh server must send the very CHALLENGE the MIC covers, timestamp included.
  t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
  const fixedChallenge = hex('0102030405060708');
  const client = new NtlmClient({ user: 'alice', password: 'correct horse', domain: 'WG' });
  const negotiate = client.negotiate();
  const fresh = () => {
    const server = new NtlmServer({ ...serverOpts, challengeSource: () => Buffer.from(fixedChallenge) });
    return { server, challenge: server.challenge(negotiate) };
  };
  const authenticate = client.authenticate(fresh().challenge);
  assert.equal(fresh().server.authenticate(authenticate).user, 'Alice', 'the uncorrupted message is accepted');
  for (let at = 0; at < authenticate.length; at++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const corrupt = Buffer.from(authenticate);
      corrupt[at] ^= mask;
      const { server } = fresh();
      try {
        server.authenticate(corrupt);
      } catch (e) {
        assert.ok(e instanceof AuthError, `byte ${at} ^ ${mask}: ${(e as Error).message}`);
      }
    }
  }
});
