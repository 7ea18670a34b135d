/**
 * 8.3 ("short", alternate) names, [MS-FSCC] 2.1.5.2.1: a base of 1 to 8 characters and an optional
 * extension of 1 to 3, from a restricted character set. Nothing is stored: a name that already has
 * that form is its own short name (as Samba answers), any other gets one computed from a hash of the
 * whole name, in the form Windows uses once a prefix collides ("LO1A2B~1.TXT"), so it is the same on
 * every query and needs no per-directory table. Listings compute one per entry: char-code loops, no
 * regular expression or Buffer.
 */

/** Characters an 8.3 name may hold besides letters and digits, [MS-FSCC] 2.1.5.2.1. */
const SPECIAL = "!#$%&'()-@^_`{}~";
const BASE_MAX = 8;
const EXTENSION_MAX = 3;
/** Characters of the long name kept before the hash in a generated short name. */
const GENERATED_PREFIX = 2;
const DOT = 0x2e;
const HEX = '0123456789ABCDEF';

/** LEGAL[c] for the ASCII code units an 8.3 name may hold. */
const LEGAL = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) LEGAL[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) LEGAL[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) LEGAL[c] = 1;
for (const c of SPECIAL) LEGAL[c.charCodeAt(0)] = 1;

const legal = (code: number) => code < 128 && LEGAL[code] === 1;

/** True when `name` already has 8.3 form (letter case aside, as Samba compares). */
export function isShortName(name: string): boolean {
  const length = name.length;
  if (length === 0 || length > BASE_MAX + 1 + EXTENSION_MAX) return false;
  let dot = -1;
  for (let i = 0; i < length; i++) {
    const code = name.charCodeAt(i);
    if (code === DOT) {
      if (dot >= 0) return false;
      dot = i;
    } else if (!legal(code)) return false;
  }
  if (dot < 0) return length <= BASE_MAX;
  return dot >= 1 && dot <= BASE_MAX && length - dot - 1 >= 1 && length - dot - 1 <= EXTENSION_MAX;
}

/** Up to `max` legal characters of name[from, to), upper case. */
function shortChars(name: string, from: number, to: number, max: number): string {
  let out = '';
  for (let i = from; i < to && out.length < max; i++) {
    const code = name.charCodeAt(i);
    if (legal(code)) out += code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : name[i];
  }
  return out;
}

/** 16-bit FNV-1a over the name's UTF-16LE bytes: stable across restarts. */
function hash16(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    h = Math.imul(h ^ (code & 0xff), 0x01000193);
    h = Math.imul(h ^ (code >>> 8), 0x01000193);
  }
  h >>>= 0;
  return (h ^ (h >>> 16)) & 0xffff;
}

/** The 8.3 name of `name` (a leaf name, never empty). */
export function shortNameOf(name: string): string {
  if (isShortName(name)) return name;
  const dot = name.lastIndexOf('.');
  const baseEnd = dot > 0 ? dot : name.length;
  const ext = dot > 0 ? shortChars(name, dot + 1, name.length, EXTENSION_MAX) : '';
  const h = hash16(name);
  const generated = `${shortChars(name, 0, baseEnd, GENERATED_PREFIX)}${HEX[h >>> 12]}${HEX[(h >>> 8) & 15]}${HEX[(h >>> 4) & 15]}${HEX[h & 15]}~1`;
  return ext ? `${generated}.${ext}` : generated;
}
