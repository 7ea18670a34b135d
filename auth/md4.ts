/**
 * MD4 message digest, [RFC 1320]. Only NTOWF needs it ([MS-NLMP] 3.3.1), and Node 20's
 * OpenSSL 3 ships MD4 in the legacy provider only, so it is implemented here.
 */

const BLOCK_BYTES = 64;

/** Round 2 and round 3 additive constants, [RFC 1320] 3.4. */
const ROUND2_CONSTANT = 0x5a827999;
const ROUND3_CONSTANT = 0x6ed9eba1;

/** Per-step word index and shift for each round, [RFC 1320] 3.4. */
const ROUND1 = { words: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], shifts: [3, 7, 11, 19] } as const;
const ROUND2 = { words: [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], shifts: [3, 5, 9, 13] } as const;
const ROUND3 = { words: [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], shifts: [3, 9, 11, 15] } as const;

const rotl = (x: number, n: number): number => ((x << n) | (x >>> (32 - n))) >>> 0;
const f = (x: number, y: number, z: number): number => (x & y) | (~x & z);
const g = (x: number, y: number, z: number): number => (x & y) | (x & z) | (y & z);
const h = (x: number, y: number, z: number): number => x ^ y ^ z;

type RoundFn = (x: number, y: number, z: number) => number;

function runRound(
  state: number[],
  words: Uint32Array,
  round: { words: readonly number[]; shifts: readonly number[] },
  fn: RoundFn,
  constant: number,
): void {
  for (let step = 0; step < 16; step++) {
    // The register being updated rotates a, d, c, b.
    const target = (4 - (step % 4)) % 4;
    const [a, b, c, d] = [0, 1, 2, 3].map((i) => state[(target + i) % 4]);
    const sum = (a + fn(b, c, d) + words[round.words[step]] + constant) >>> 0;
    state[target] = rotl(sum, round.shifts[step % 4]);
  }
}

function compress(state: number[], block: Buffer, at: number): void {
  const words = new Uint32Array(16);
  for (let i = 0; i < 16; i++) words[i] = block.readUInt32LE(at + 4 * i);
  const working = state.slice();
  runRound(working, words, ROUND1, f, 0);
  runRound(working, words, ROUND2, g, ROUND2_CONSTANT);
  runRound(working, words, ROUND3, h, ROUND3_CONSTANT);
  for (let i = 0; i < 4; i++) state[i] = (state[i] + working[i]) >>> 0;
}

/** Pads with 0x80, zeros, and the 64-bit little-endian bit length, [RFC 1320] 3.1-3.2. */
function pad(message: Buffer): Buffer {
  const paddedLength = Math.ceil((message.length + 9) / BLOCK_BYTES) * BLOCK_BYTES;
  const padded = Buffer.alloc(paddedLength);
  message.copy(padded);
  padded[message.length] = 0x80;
  padded.writeBigUInt64LE(BigInt(message.length) * 8n, paddedLength - 8);
  return padded;
}

export function md4(message: Buffer): Buffer {
  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const padded = pad(message);
  for (let at = 0; at < padded.length; at += BLOCK_BYTES) compress(state, padded, at);
  const digest = Buffer.alloc(16);
  state.forEach((word, i) => digest.writeUInt32LE(word, 4 * i));
  return digest;
}
