import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesPattern } from '../../smb2/info/wildcard.js';

// [pattern, name, matches]. '<' DOS_STAR, '>' DOS_QM, '"' DOS_DOT ([MS-FSA] 2.1.4.4).
const table: Array<[string, string, boolean]> = [
  // Match-everything patterns, including names without a dot.
  ['*', 'anything.at.all', true],
  ['*', '.', true],
  ['*.*', 'noext', true],
  ['*.*', '..', true],
  ['*.*', 'a.b', true],
  // Plain '*' and '?'.
  ['*.txt', 'notes.txt', true],
  ['*.txt', 'notes.txt.bak', false],
  ['*.txt', 'txt', false],
  ['*.txt', '.txt', true],
  ['a*b*c', 'aXXbYYc', true],
  ['a*b*c', 'aXXbYY', false],
  ['a*', 'a', true],
  ['?', 'a', true],
  ['?', 'ab', false],
  ['?', '', false],
  ['a?c', 'abc', true],
  ['a?c', 'ac', false],
  ['??.?', 'ab.c', true],
  // Literal characters.
  ['a.b', 'a.b', true],
  ['a.b', 'a_b', false],
  ['exact', 'exactly', false],
  ['', '', true],
  ['', 'a', false],
  // Case-insensitive, with one-to-one Unicode upcasing.
  ['*.TXT', 'a.txt', true],
  ['README', 'readme', true],
  ['ÄBC*', 'äbcdef', true],
  ['ÉTÉ', 'été', true],
  ['straße', 'STRASSE', false],
  // DOS_QM: one character, or nothing at a '.' or the end of the name.
  ['file>.txt', 'file1.txt', true],
  ['file>.txt', 'file.txt', true],
  ['file>.txt', 'file12.txt', false],
  ['file>>.txt', 'file12.txt', true],
  ['file>>.txt', 'file1.txt', true],
  ['file>>.txt', 'file123.txt', false],
  ['ab>', 'ab', true],
  ['ab>', 'abc', true],
  ['ab>', 'abcd', false],
  ['a>', 'a.', true], // a '.' that ends the name may be taken
  ['a>', 'a.b', false],
  ['a>b', 'a.b', false],
  ['>>>>>>>>.>>>', 'readme.md', true],
  // DOS_DOT: a '.', or nothing at the end of the name.
  ['foo"', 'foo', true],
  ['foo"', 'foo.', true],
  ['foo"', 'foox', false],
  ['foo"txt', 'foo.txt', true],
  ['foo"txt', 'footxt', false],
  // DOS_STAR: any run up to and including the final '.', never past it.
  ['<.txt', 'a.txt', true],
  ['<.txt', 'a.b.txt', true],
  ['<.TXT', 'a.b.txt.txt', true],
  ['<.txt', 'a.txt.gz', false],
  ['<', 'noext', true],
  ['<', 'a.b', false],
  ['<txt', 'a.txt', true],
  ['<b', 'x.y.b', true],
  ['<y.b', 'x.y.b', true],
  ['<y', 'x.y.b', false],
  ['x.<', 'x.y.b', false],
  ['x.y.<', 'x.y.b', true], // starts after the final '.': like '*'
  ['<"', 'noext', true], // DOS "*." : names without an extension
  ['<"', 'a.txt', false],
  ['<"*', 'a.txt', true], // DOS "*.*"
  ['<"*', 'noext', true],
  ['a<', 'abc', true],
];

test('matchesPattern follows the FsRtlIsNameInExpression table', () => {
  for (const [pattern, name, want] of table) {
    assert.equal(matchesPattern(pattern, name), want, `${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`);
  }
});

test('pathological star patterns finish quickly', () => {
  const name = 'a'.repeat(255);
  const started = process.hrtime.bigint();
  assert.equal(matchesPattern('*a*a*a*a*a*a*a*a*a*a*b', name), false);
  assert.equal(matchesPattern('<a<a<a<a<a<a<a>b', name), false);
  assert.equal(matchesPattern('*a*a*a*a*a*a*a*a*a*a', name), true);
  assert.ok(process.hrtime.bigint() - started < 2_000_000_000n);
});
