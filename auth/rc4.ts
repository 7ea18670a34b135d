/**
 * RC4 stream cipher. NTLM needs it for key exchange and for sealing MAC checksums
 * ([MS-NLMP] 3.4.4.2, 6 "RC4K"), and Node 20's OpenSSL 3 has RC4 in the legacy provider only.
 * The state persists across calls, like the spec's RC4 "handle".
 */
export class Rc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(key: Buffer) {
    if (key.length === 0 || key.length > 256) throw new RangeError(`RC4 key length ${key.length}`);
    for (let n = 0; n < 256; n++) this.s[n] = n;
    let j = 0;
    for (let n = 0; n < 256; n++) {
      j = (j + this.s[n] + key[n % key.length]) & 0xff;
      this.swap(n, j);
    }
  }

  private swap(a: number, b: number): void {
    const t = this.s[a];
    this.s[a] = this.s[b];
    this.s[b] = t;
  }

  /** Encrypts (or decrypts) `data` into a new buffer, advancing the key stream. */
  process(data: Buffer): Buffer {
    const out = Buffer.alloc(data.length);
    for (let n = 0; n < data.length; n++) {
      this.i = (this.i + 1) & 0xff;
      this.j = (this.j + this.s[this.i]) & 0xff;
      this.swap(this.i, this.j);
      out[n] = data[n] ^ this.s[(this.s[this.i] + this.s[this.j]) & 0xff];
    }
    return out;
  }
}

/** One-shot RC4 with a fresh key schedule, [MS-NLMP] 6 RC4K(K, D). */
export function rc4(key: Buffer, data: Buffer): Buffer {
  return new Rc4(key).process(data);
}
