import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md4 } from '../../auth/md4.js';
import { ntHash } from '../../auth/nt-hash.js';
import { Rc4, rc4 } from '../../auth/rc4.js';
import { aesCmac, cmacSubkeys } from '../../auth/cmac.js';
import { hex } from '../support/bytes.js';

test('MD4 matches the RFC 1320 A.5 test suite', () => {
  const suite: Array<[string, string]> = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', '043f8582f241db351ce627e153e7f0e4'],
    ['1234567890'.repeat(8), 'e33b4ddc9c38f2199c3e7b164fcc0536'],
  ];
  for (const [input, digest] of suite) assert.deepEqual(md4(Buffer.from(input, 'latin1')), hex(digest), `MD4("${input}")`);
});

test('MD4 handles every padding boundary around one and two blocks', () => {
  const lengths = [55, 56, 63, 64, 65, 119, 120];
  const digests = lengths.map((n) => md4(Buffer.alloc(n, 0x61)).toString('hex'));
  assert.equal(new Set(digests).size, lengths.length);
  for (const d of digests) assert.equal(d.length, 32);
});

test('ntHash is NTOWFv1 of [MS-NLMP] 4.2.2.1.2 ("Password")', () => {
  assert.deepEqual(ntHash('Password'), hex('a4 f4 9c 40 65 10 bd ca b6 82 4e e7 c3 0f d8 52'));
  assert.deepEqual(ntHash(''), hex('31d6cfe0d16ae931b73c59d7e0c089c0'));
});

test('RC4 matches the RFC 6229 key 0x0102030405 keystream and keeps its state across calls', () => {
  const expected = hex('b2 39 63 05 f0 3d c0 27 cc c3 52 4a 0a 11 18 a8');
  assert.deepEqual(rc4(hex('0102030405'), Buffer.alloc(16)), expected);
  const stream = new Rc4(hex('0102030405'));
  const firstHalf = stream.process(Buffer.alloc(7));
  const secondHalf = stream.process(Buffer.alloc(9));
  assert.deepEqual(Buffer.concat([firstHalf, secondHalf]), expected);
  assert.throws(() => new Rc4(Buffer.alloc(0)), RangeError);
});

const RFC4493_KEY = hex('2b7e1516 28aed2a6 abf71588 09cf4f3c');
const RFC4493_MESSAGE = hex(
  '6bc1bee2 2e409f96 e93d7e11 7393172a ae2d8a57 1e03ac9c 9eb76fac 45af8e51' +
    '30c81c46 a35ce411 e5fbc119 1a0a52ef f69f2445 df4f9b17 ad2b417b e66c3710',
);

test('AES-CMAC subkeys match RFC 4493 4 (K1, K2)', () => {
  const { k1, k2 } = cmacSubkeys(RFC4493_KEY);
  assert.deepEqual(k1, hex('fbeed618 35713366 7c85e08f 7236a8de'));
  assert.deepEqual(k2, hex('f7ddac30 6ae266cc f90bc11e e46d513b'));
});

test('AES-CMAC matches RFC 4493 examples 1-4', () => {
  const examples: Array<[number, string]> = [
    [0, 'bb1d6929 e9593728 7fa37d12 9b756746'],
    [16, '070a16b4 6b4d4144 f79bdd9d d04a287c'],
    [40, 'dfa66747 de9ae630 30ca3261 1497c827'],
    [64, '51f0bebf 7e3b9d92 fc497417 79363cfe'],
  ];
  for (const [length, mac] of examples) {
    assert.deepEqual(aesCmac(RFC4493_KEY, RFC4493_MESSAGE.subarray(0, length)), hex(mac), `Mlen=${length}`);
  }
});

test('AES-CMAC over chunks equals AES-CMAC over their concatenation at every split', () => {
  const m = RFC4493_MESSAGE.subarray(0, 40);
  const whole = aesCmac(RFC4493_KEY, m);
  for (let i = 0; i <= m.length; i++) {
    assert.deepEqual(aesCmac(RFC4493_KEY, m.subarray(0, i), m.subarray(i)), whole, `split at ${i}`);
  }
  assert.throws(() => aesCmac(Buffer.alloc(15), m), RangeError);
});
