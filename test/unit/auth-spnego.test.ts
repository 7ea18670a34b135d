import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../wire/index.js';
import { spnegoClientInit, spnegoClientResp, spnegoNegotiateToken, spnegoParse, spnegoResponse } from '../../auth/spnego.js';
import { cat, hex, splits } from '../support/bytes.js';

// DER spelled out by hand from [RFC 4178] 4.2, [MS-SPNG] 2.2.1 and [X.690].
const SPNEGO_OID = hex('06 06 2b 06 01 05 05 02'); // 1.3.6.1.5.5.2
const NTLMSSP_OID = hex('06 0a 2b 06 01 04 01 82 37 02 02 0a'); // 1.3.6.1.4.1.311.2.2.10
const KRB5_MS_OID = hex('06 09 2a 86 48 82 f7 12 01 02 02'); // 1.2.840.48018.1.2.2
const KRB5_OID = hex('06 09 2a 86 48 86 f7 12 01 02 02'); // 1.2.840.113554.1.2.2
const MECH_TYPES_NTLM = cat(hex('30 0c'), NTLMSSP_OID);
const HINT = Buffer.from('not_defined_in_RFC4178@please_ignore', 'latin1');
const NTLM_NEGOTIATE_40 = cat(Buffer.from('NTLMSSP\0', 'latin1'), hex('01 00 00 00 97 82 08 e2'), Buffer.alloc(24));

const NEGOTIATE_TOKEN = cat(
  hex('60 48'), SPNEGO_OID,
  hex('a0 3e 30 3c'),
  hex('a0 0e'), MECH_TYPES_NTLM,
  hex('a3 2a 30 28 a0 26 1b 24'), HINT,
);

const CLIENT_INIT = cat(hex('60 48'), SPNEGO_OID, hex('a0 3e 30 3c a0 0e'), MECH_TYPES_NTLM, hex('a2 2a 04 28'), NTLM_NEGOTIATE_40);

test('spnegoNegotiateToken is NegTokenInit2 with NTLMSSP and the negHints name', () => {
  assert.deepEqual(spnegoNegotiateToken(), NEGOTIATE_TOKEN);
  const parsed = spnegoParse(NEGOTIATE_TOKEN);
  assert.equal(parsed.kind, 'init');
  assert.deepEqual(parsed.mechTypes, [NTLMSSP_OID]);
  assert.deepEqual(parsed.mechTypesDer, MECH_TYPES_NTLM);
  assert.equal(parsed.mechListMic, undefined, 'negHints is not a MIC');
});

test('spnegoClientInit wraps NTLM NEGOTIATE in the GSS InitialContextToken', () => {
  assert.deepEqual(spnegoClientInit(NTLM_NEGOTIATE_40), CLIENT_INIT);
  const parsed = spnegoParse(CLIENT_INIT);
  assert.equal(parsed.kind, 'init');
  assert.deepEqual(parsed.mechToken, NTLM_NEGOTIATE_40);
  assert.deepEqual(parsed.mechTypesDer, MECH_TYPES_NTLM);
});

test('spnegoClientResp carries responseToken and mechListMIC', () => {
  const token = hex('00 01 02 03 04 05 06 07 08 09');
  const mic = hex('01000000 1111111111111111 00000000');
  const expected = cat(hex('a1 24 30 22 a2 0c 04 0a'), token, hex('a3 12 04 10'), mic);
  assert.deepEqual(spnegoClientResp(token, mic), expected);
  const parsed = spnegoParse(expected);
  assert.equal(parsed.kind, 'resp');
  assert.deepEqual(parsed.mechToken, token);
  assert.deepEqual(parsed.mechListMic, mic);
  assert.deepEqual(spnegoClientResp(token), cat(hex('a1 10 30 0e a2 0c 04 0a'), token));
});

test('spnegoResponse: short, long-form (0x81) and two-byte (0x82) lengths', () => {
  const mic = Buffer.alloc(16, 0x42);
  assert.deepEqual(spnegoResponse('accept-completed', undefined, mic), cat(hex('a1 1b 30 19 a0 03 0a 01 00 a3 12 04 10'), mic));
  assert.deepEqual(spnegoResponse('reject'), hex('a1 07 30 05 a0 03 0a 01 02'));
  const t200 = Buffer.alloc(200, 0x33);
  assert.deepEqual(
    spnegoResponse('accept-incomplete', t200, undefined, true),
    cat(hex('a1 81 e4 30 81 e1 a0 03 0a 01 01 a1 0c'), NTLMSSP_OID, hex('a2 81 cb 04 81 c8'), t200),
  );
  const t300 = Buffer.alloc(300, 0x44);
  const long = spnegoResponse('accept-incomplete', t300, undefined, true);
  assert.deepEqual(long, cat(hex('a1 82 01 4b 30 82 01 47 a0 03 0a 01 01 a1 0c'), NTLMSSP_OID, hex('a2 82 01 30 04 82 01 2c'), t300));
  const parsed = spnegoParse(long);
  assert.equal(parsed.negState, 1);
  assert.deepEqual(parsed.supportedMech, NTLMSSP_OID);
  assert.deepEqual(parsed.mechToken, t300);
});

test('spnegoParse keeps the client mechTypes order and DER (Kerberos first, then NTLMSSP)', () => {
  const mechTypes = cat(hex('30 22'), KRB5_MS_OID, KRB5_OID, NTLMSSP_OID);
  const init = cat(hex('60 3c'), SPNEGO_OID, hex('a0 32 30 30 a0 24'), mechTypes, hex('a2 08 04 06 60 04'), hex('01 02 03 04'));
  const parsed = spnegoParse(init);
  assert.deepEqual(parsed.mechTypes, [KRB5_MS_OID, KRB5_OID, NTLMSSP_OID]);
  assert.deepEqual(parsed.mechTypesDer, mechTypes);
  assert.deepEqual(parsed.mechToken, hex('60 04 01 02 03 04'));
});

test('spnegoParse passes raw NTLMSSP through', () => {
  assert.deepEqual(spnegoParse(NTLM_NEGOTIATE_40), { kind: 'raw', mechToken: NTLM_NEGOTIATE_40 });
});

test('spnegoParse throws DecodeError for every truncation of every golden token', () => {
  const goldens = [NEGOTIATE_TOKEN, CLIENT_INIT, spnegoResponse('accept-incomplete', Buffer.alloc(300), Buffer.alloc(16), true)];
  for (const golden of goldens) {
    for (const [head] of splits(golden)) {
      if (head.length === golden.length) continue;
      assert.throws(() => spnegoParse(head), DecodeError, `truncated to ${head.length}`);
    }
  }
});

test('spnegoParse never fails with anything but DecodeError on corrupted bytes', () => {
  for (const golden of [NEGOTIATE_TOKEN, CLIENT_INIT]) {
    for (let at = 0; at < golden.length; at++) {
      for (const value of [0x00, 0x7f, 0x80, 0x84, 0xff]) {
        const corrupt = Buffer.from(golden);
        corrupt[at] = value;
        try {
          spnegoParse(corrupt);
        } catch (e) {
          assert.ok(e instanceof DecodeError, `byte ${at} = ${value}: ${(e as Error).message}`);
        }
      }
    }
  }
});

test('spnegoParse refuses indefinite lengths, wrong GSS mechanisms and unknown tokens', () => {
  assert.throws(() => spnegoParse(hex('60 80 06 06 2b 06 01 05 05 02 00 00')), DecodeError);
  assert.throws(() => spnegoParse(hex('60 0a 06 06 2b 06 01 05 05 03 a0 00')), DecodeError, 'not the SPNEGO OID');
  assert.throws(() => spnegoParse(hex('30 00')), DecodeError);
  assert.throws(() => spnegoParse(Buffer.alloc(0)), DecodeError);
  assert.throws(() => spnegoParse(hex('a0 02 30 00')), DecodeError, 'NegTokenInit without mechTypes');
});
