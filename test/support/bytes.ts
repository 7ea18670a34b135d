/**
 * Independent byte builder for golden tests. It shares no code with wire/ or smb2/:
 * expected bytes are spelled out field by field here, never produced by the
 * serializer under test.
 */
export function hex(s: string): Buffer {
  const clean = s.replace(/[\s_|]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex length in ${s}`);
  return Buffer.from(clean, 'hex');
}

export function le16(v: number): Buffer {
  return Buffer.from([v & 0xff, (v >>> 8) & 0xff]);
}

export function le32(v: number): Buffer {
  const b = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) b[i] = (v >>> (8 * i)) & 0xff;
  return b;
}

export function le64(v: bigint | number): Buffer {
  let x = BigInt(v);
  const b = Buffer.alloc(8);
  for (let i = 0; i < 8; i++) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}

export function utf16(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    b[2 * i] = c & 0xff;
    b[2 * i + 1] = c >>> 8;
  }
  return b;
}

export function zeros(n: number): Buffer {
  return Buffer.alloc(n);
}

export function cat(...parts: Array<Buffer | number[]>): Buffer {
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
}

/** Every way of cutting `buf` into two pieces, for split-at-every-boundary parsing tests. */
export function* splits(buf: Buffer): Generator<[Buffer, Buffer]> {
  for (let i = 0; i <= buf.length; i++) yield [buf.subarray(0, i), buf.subarray(i)];
}

/** `bytes` cut into views of `size` bytes (the last one shorter), as a stream might deliver them. */
export function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}
