/**
 * 8.3 ("short", alternate) names, [MS-FSCC] 2.1.5.2.1: a base of 1 to 8 characters and an optional
 * extension of 1 to 3, from a restricted character set. Nothing is stored: a name that already has
 * that form is its own short name (as Samba answers), any other gets one computed from a hash of the
 * whole name, in the form Windows uses once a prefix collides ("LO1A2B~1.TXT"), so it is the same on
 * every query and needs no per-directory table.
 */

/** Characters an 8.3 name may hold besides letters and digits, [MS-FSCC] 2.1.5.2.1. */
const SPECIAL = "!#$%&'()-@^_`{}~";
const BASE_MAX = 8;
const EXTENSION_MAX = 3;
/** Characters of the long name kept before the hash in a generated short name. */
const GENERATED_PREFIX = 2;

function legalChar(c: string): boolean {
  return /^[A-Za-z0-9]$/.test(c) || SPECIAL.includes(c);
}

/** True when `name` already has 8.3 form (letter case aside, as Samba compares). */
export function isShortName(name: string): boolean {
  if (name === '.' || name === '..') return false;
  const dot = name.indexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot + 1);
  if (base.length < 1 || base.length > BASE_MAX || ext.length > EXTENSION_MAX) return false;
  if (dot >= 0 && ext.length === 0) return false;
  return [...base, ...ext].every(legalChar);
}

function shortChars(s: string): string {
  return [...s.toUpperCase()].filter(legalChar).join('');
}

/** 16-bit FNV-1a of the UTF-16 name: stable across restarts. */
function hash16(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf16le')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ (h >>> 16)) & 0xffff;
}

/** The 8.3 name of `name` (a leaf name, never empty). */
export function shortNameOf(name: string): string {
  if (isShortName(name)) return name;
  const dot = name.lastIndexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? shortChars(name.slice(dot + 1)).slice(0, EXTENSION_MAX) : '';
  const prefix = shortChars(base).slice(0, GENERATED_PREFIX);
  const generated = `${prefix}${hash16(name).toString(16).toUpperCase().padStart(4, '0')}~1`;
  return ext ? `${generated}.${ext}` : generated;
}
