import { Reader, DecodeError } from '../wire/index.js';

/** ASN.1 DER tags used by SPNEGO, [X.690] 8.1.2 (all fit the low-tag-number form). */
export const DerTag = {
  ENUMERATED: 0x0a,
  OCTET_STRING: 0x04,
  OID: 0x06,
  GENERAL_STRING: 0x1b,
  SEQUENCE: 0x30,
  APPLICATION_0: 0x60,
} as const;

/** Tag of a constructed context-specific field [n], [X.690] 8.1.2. */
export const contextTag = (n: number): number => 0xa0 | n;

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a definite length, [X.690] 8.1.3. */
export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** Encodes a dotted OID, [X.690] 8.19. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => Number(a));
  if (arcs.length < 2 || arcs.some((a) => !Number.isInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const subIds = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  for (const id of subIds) {
    const base128: number[] = [];
    for (let v = id; ; v = Math.floor(v / 128)) {
      base128.unshift((v % 128) | (base128.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...base128);
  }
  return tlv(DerTag.OID, Buffer.from(out));
}

export interface DerElement {
  tag: number;
  /** The content octets (a view into the input). */
  content: Buffer;
  /** The whole TLV including tag and length (a view into the input). */
  raw: Buffer;
}

function readLength(r: Reader): number {
  const first = r.u8();
  if (first < 0x80) return first;
  const count = first & 0x7f;
  if (count === 0) throw new DecodeError('indefinite ASN.1 length is not DER');
  if (count > 4) throw new DecodeError(`ASN.1 length of ${count} bytes`);
  let n = 0;
  for (let i = 0; i < count; i++) n = n * 256 + r.u8();
  return n;
}

/** Reads one TLV at the reader's position; content must lie inside the reader's window. */
export function readElement(r: Reader): DerElement {
  const start = r.offset;
  const tag = r.u8();
  if ((tag & 0x1f) === 0x1f) throw new DecodeError('high-tag-number ASN.1 form is not used by SPNEGO');
  const length = readLength(r);
  const content = r.bytes(length);
  return { tag, content, raw: r.buf.subarray(start, r.offset) };
}

/** Reads one TLV that must carry `tag`. */
export function expectElement(r: Reader, tag: number, what: string): DerElement {
  const e = readElement(r);
  if (e.tag !== tag) throw new DecodeError(`${what}: ASN.1 tag 0x${e.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  return e;
}

/** All TLVs inside a constructed element's content. */
export function children(content: Buffer): DerElement[] {
  const r = new Reader(content);
  const out: DerElement[] = [];
  while (r.remaining > 0) out.push(readElement(r));
  return out;
}

/** The single element inside an explicit context tag [n] (or any one-element wrapper). */
export function inner(e: DerElement, tag: number, what: string): DerElement {
  const r = new Reader(e.content);
  const got = expectElement(r, tag, what);
  if (r.remaining !== 0) throw new DecodeError(`${what}: trailing bytes`);
  return got;
}
