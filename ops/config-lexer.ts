/**
 * Splits smb.conf-style text into sections of `key = value` entries, keeping line numbers.
 * Samba's rules: `#` and `;` start a comment only at the start of a line (a `;` inside
 * a value is data, e.g. in `interfaces`), a trailing backslash continues a line, keys are
 * case-insensitive and their inner whitespace is insignificant.
 */
import { ConfigError, ERROR_CODES } from './errors.js';

export interface ConfigEntry {
  /** Lower-case, single-spaced: `Read  Only` -> `read only`. */
  key: string;
  value: string;
  line: number;
}

export interface ConfigSection {
  /** As written, without brackets; `global` compares case-insensitively. */
  name: string;
  line: number;
  entries: ConfigEntry[];
}

interface LogicalLine {
  text: string;
  line: number;
}

function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  const physical = text.split(/\r?\n/);
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let joined = physical[i]!;
    while (joined.endsWith('\\') && i + 1 < physical.length) joined = joined.slice(0, -1) + physical[++i]!;
    out.push({ text: joined.trim(), line: start + 1 });
  }
  return out;
}

export function normalizeKey(key: string): string {
  return key.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Entries before the first section header belong to [global], as in Samba. */
export function lexConfig(text: string, file: string): ConfigSection[] {
  const sections: ConfigSection[] = [{ name: 'global', line: 0, entries: [] }];
  for (const { text: lineText, line } of logicalLines(text)) {
    if (lineText === '' || lineText.startsWith('#') || lineText.startsWith(';')) continue;
    if (lineText.startsWith('[')) {
      const m = /^\[([^\]]*)\]$/.exec(lineText);
      if (!m || m[1]!.trim() === '') {
        throw new ConfigError(ERROR_CODES.CONFIG_SYNTAX, file, line, `bad section header "${lineText}" (use [name])`);
      }
      sections.push({ name: m[1]!.trim(), line, entries: [] });
      continue;
    }
    const eq = lineText.indexOf('=');
    if (eq <= 0 || lineText.slice(0, eq).trim() === '') {
      throw new ConfigError(ERROR_CODES.CONFIG_SYNTAX, file, line, `expected "key = value" or "[section]", got "${lineText}"`);
    }
    sections[sections.length - 1]!.entries.push({
      key: normalizeKey(lineText.slice(0, eq)),
      value: lineText.slice(eq + 1).trim(),
      line,
    });
  }
  return sections;
}
