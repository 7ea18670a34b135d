import { createHmac } from 'node:crypto';

/**
 * SP800-108 key derivation in counter mode with HMAC-SHA256, as [MS-SMB2] 3.1.4.2 uses it:
 * r = 32, one iteration (i = 1), L = 128 bits. The label and context are passed with their
 * terminating NULs already included where the spec's strings have them.
 */
export function sp800108CounterHmacSha256(key: Buffer, label: Buffer, context: Buffer, lengthBits = 128): Buffer {
  const out: Buffer[] = [];
  const bytes = lengthBits / 8;
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32BE(lengthBits);
  for (let i = 1; out.length * 32 < bytes; i++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(i);
    const h = createHmac('sha256', key);
    h.update(counter).update(label).update(Buffer.from([0])).update(context).update(lengthField);
    out.push(h.digest());
  }
  return Buffer.concat(out).subarray(0, bytes);
}
