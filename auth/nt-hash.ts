import { md4 } from './md4.js';

/** NTOWFv1: MD4 of the UTF-16LE password, [MS-NLMP] 3.3.1. This is what the users file stores. */
export function ntHash(password: string): Buffer {
  return md4(Buffer.from(password, 'utf16le'));
}
