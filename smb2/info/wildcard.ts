/**
 * Directory search patterns, [MS-FSA] 2.1.4.4 (FsRtlIsNameInExpression), matched without
 * regard to case:
 *   '*'  any run of characters (also empty)
 *   '?'  exactly one character
 *   '>'  DOS_QM: one character, or nothing when the name is at a '.' or its end
 *        (a '.' that ends the name may also be taken)
 *   '<'  DOS_STAR: any run of characters up to and including the name's final '.', never
 *        past it (a '<' that starts after the final '.' behaves like '*')
 *   '"'  DOS_DOT: a '.', or nothing at the end of the name
 * The edge cases follow Samba's ms_fnmatch, which was checked against Windows with masktest.
 * "*" and "*.*" match every name, dot-less ones and "." / ".." included, as Windows does.
 */
const STAR = '*';
const QUESTION = '?';
const DOS_QM = '>';
const DOS_STAR = '<';
const DOS_DOT = '"';

/** One-to-one upcasing like an NTFS upcase table: characters whose upper case is longer stay. */
function upcase(c: string): string {
  const u = c.toUpperCase();
  return u.length === c.length ? u : c;
}

export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === '*.*') return true;
  const p = Array.from(pattern, upcase);
  const n = Array.from(name, upcase);
  const finalDot = n.lastIndexOf('.');
  const memo = new Int8Array((p.length + 1) * (n.length + 1)); // 0 unknown, 1 no, 2 yes

  const match = (pi: number, ni: number): boolean => {
    const key = pi * (n.length + 1) + ni;
    if (memo[key] !== 0) return memo[key] === 2;
    const result = step(pi, ni);
    memo[key] = result ? 2 : 1;
    return result;
  };

  const step = (pi: number, ni: number): boolean => {
    if (pi === p.length) return ni === n.length;
    const atEnd = ni === n.length;
    switch (p[pi]) {
      case STAR:
        return match(pi + 1, ni) || (!atEnd && match(pi, ni + 1));
      case QUESTION:
        return !atEnd && match(pi + 1, ni + 1);
      case DOS_QM:
        if (atEnd) return match(pi + 1, ni);
        if (n[ni] !== '.') return match(pi + 1, ni + 1);
        return match(pi + 1, ni) || (ni === n.length - 1 && match(pi + 1, ni + 1));
      case DOS_DOT:
        if (atEnd) return match(pi + 1, ni);
        return n[ni] === '.' && match(pi + 1, ni + 1);
      case DOS_STAR: {
        const last = finalDot >= ni ? finalDot + 1 : n.length;
        for (let k = ni; k <= last; k++) if (match(pi + 1, k)) return true;
        return false;
      }
      default:
        return !atEnd && n[ni] === p[pi] && match(pi + 1, ni + 1);
    }
  };

  return match(0, 0);
}
