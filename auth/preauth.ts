import { createHash } from 'node:crypto';

const SHA512_BYTES = 64;

/**
 * SMB 3.1.1 pre-authentication integrity hash, [MS-SMB2] 3.2.5.2 / 3.3.5.4: starts as 64 zero
 * bytes and each NEGOTIATE / SESSION_SETUP message folds in as SHA-512(previous || message).
 * The connection's value is cloned per session at the first SESSION_SETUP.
 */
export class PreauthHash {
  private hash: Buffer;

  constructor(initial?: Buffer) {
    if (initial && initial.length !== SHA512_BYTES) throw new RangeError(`preauth hash must be 64 bytes`);
    this.hash = initial ? Buffer.from(initial) : Buffer.alloc(SHA512_BYTES);
  }

  update(message: Buffer): this {
    this.hash = createHash('sha512').update(this.hash).update(message).digest();
    return this;
  }

  get value(): Buffer {
    return Buffer.from(this.hash);
  }

  clone(): PreauthHash {
    return new PreauthHash(this.hash);
  }
}
