import { DecodeError } from '../wire/index.js';
import { HEADER_SIZE } from '../smb2/constants.js';
import { HeaderOffset } from '../smb2/header.js';

/** Split a compound message at its NextCommand offsets, [MS-SMB2] 3.3.5.2.7. */
export function splitCompound(message: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    if (message.length - at < HEADER_SIZE) throw new DecodeError('truncated SMB2 header');
    const next = message.readUInt32LE(at + HeaderOffset.NEXT_COMMAND);
    if (next === 0) {
      out.push(message.subarray(at));
      return out;
    }
    if (next % 8 !== 0 || next < HEADER_SIZE || at + next > message.length) throw new DecodeError(`bad NextCommand ${next}`);
    out.push(message.subarray(at, at + next));
    at += next;
  }
}

/** One response of a reply: header+body first, then payload chunks; `length` is their total. */
export interface ResponseParts {
  parts: Buffer[];
  length: number;
}

/**
 * Chain the responses of a compound reply, [MS-SMB2] 3.3.4.1.3: every response but the last
 * is padded to 8 bytes and its NextCommand points at the next one. Must run before signing.
 */
export function chainResponses(responses: ResponseParts[]): void {
  responses.forEach((r, i) => {
    if (i === responses.length - 1) return;
    const pad = (8 - (r.length % 8)) % 8;
    if (pad) r.parts.push(Buffer.alloc(pad));
    r.length += pad;
    r.parts[0].writeUInt32LE(r.length, HeaderOffset.NEXT_COMMAND);
  });
}
