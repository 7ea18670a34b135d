import { createCipheriv } from 'node:crypto';

const BLOCK = 16;
/** CBC output is discarded; feeding it in cache-sized pieces keeps the throwaway buffers small. */
const FEED_BYTES = 16 * 1024;
/** The constant R_128 for subkey doubling, [RFC 4493] 2.3. */
const RB = 0x87;

function aesEncryptBlock(key: Buffer, block: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

/** Doubling in GF(2^128): shift left one bit, xor Rb when the top bit falls off, [RFC 4493] 2.3. */
function double(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    const carry = i + 1 < BLOCK ? block[i + 1] >>> 7 : 0;
    out[i] = ((block[i] << 1) | carry) & 0xff;
  }
  if (block[0] & 0x80) out[BLOCK - 1] ^= RB;
  return out;
}

/** K1 and K2, [RFC 4493] 2.3 Generate_Subkey. */
export function cmacSubkeys(key: Buffer): { k1: Buffer; k2: Buffer } {
  const l = aesEncryptBlock(key, Buffer.alloc(BLOCK));
  const k1 = double(l);
  return { k1, k2: double(k1) };
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/**
 * AES-128-CMAC, [RFC 4493] 2.4, over the concatenation of `chunks` (so a caller can MAC a
 * message with a patched header without copying its body). CBC-MAC with a zero IV is the chain
 * of AES-CBC, so everything before the last block runs through OpenSSL's aes-128-cbc and only
 * the last block is prepared by hand.
 */
export function aesCmac(key: Buffer, ...chunks: Buffer[]): Buffer {
  if (key.length !== BLOCK) throw new RangeError(`AES-128-CMAC key must be 16 bytes, got ${key.length}`);
  const { k1, k2 } = cmacSubkeys(key);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const lastStart = Math.max(0, Math.ceil(total / BLOCK) - 1) * BLOCK;
  const complete = total > 0 && total % BLOCK === 0;

  const cipher = createCipheriv('aes-128-cbc', key, Buffer.alloc(BLOCK));
  cipher.setAutoPadding(false);
  const lastPlain = Buffer.alloc(BLOCK);
  let at = 0;
  for (const chunk of chunks) {
    const bodyPart = Math.max(0, Math.min(chunk.length, lastStart - at));
    for (let off = 0; off < bodyPart; off += FEED_BYTES) cipher.update(chunk.subarray(off, Math.min(bodyPart, off + FEED_BYTES)));
    if (bodyPart < chunk.length) chunk.copy(lastPlain, at + bodyPart - lastStart, bodyPart);
    at += chunk.length;
  }
  if (!complete) lastPlain[total - lastStart] = 0x80;
  const tail = cipher.update(xor(lastPlain, complete ? k1 : k2));
  cipher.final();
  return Buffer.from(tail.subarray(tail.length - BLOCK));
}
