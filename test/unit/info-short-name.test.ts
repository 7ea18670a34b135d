// 8.3 names ([MS-FSCC] 2.1.5.2.1) for FileAlternateNameInformation: an 8.3 name is its own short
// name; any other gets a stable generated one of 8.3 form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isShortName, shortNameOf } from '../../smb2/info/short-name.js';

const EIGHT_DOT_THREE = /^[A-Z0-9!#$%&'()\-@^_`{}~]{1,8}(\.[A-Z0-9!#$%&'()\-@^_`{}~]{1,3})?$/;

test('names of 8.3 form, in either case, are their own short names', () => {
  for (const name of ['a', 'a.txt', 'bufsize.txt', 'README', 'ABCDEFGH.XYZ', 'x~1.c', "it's.$$$"]) {
    assert.equal(isShortName(name), true, name);
    assert.equal(shortNameOf(name), name);
  }
});

test('other names are not, and get a generated 8.3 name: two characters, four hex digits, ~1, the extension', () => {
  const cases: Array<[string, RegExp]> = [
    ['long file name here.txt', /^LO[0-9A-F]{4}~1\.TXT$/],
    ['ABCDEFGHI', /^AB[0-9A-F]{4}~1$/],
    ['a.b.c', /^AB[0-9A-F]{4}~1\.C$/],
    ['.bashrc', /^BA[0-9A-F]{4}~1$/],
    ['name.html', /^NA[0-9A-F]{4}~1\.HTM$/],
    ['a b.txt', /^AB[0-9A-F]{4}~1\.TXT$/],
    ['trailing.', /^TR[0-9A-F]{4}~1$/],
    ['ünïcode.txt', /^NC[0-9A-F]{4}~1\.TXT$/],
    ['.', /^[0-9A-F]{4}~1$/],
  ];
  for (const [name, want] of cases) {
    assert.equal(isShortName(name), false, name);
    const short = shortNameOf(name);
    assert.match(short, want, name);
    assert.match(short, EIGHT_DOT_THREE, name);
    assert.equal(isShortName(short), true, short);
  }
});

test('a generated name is the same every time and differs between names that share a prefix', () => {
  assert.equal(shortNameOf('long file name here.txt'), shortNameOf('long file name here.txt'));
  const many = new Set(Array.from({ length: 50 }, (_, i) => shortNameOf(`long file name ${i}.txt`)));
  assert.ok(many.size >= 48, `only ${many.size} distinct short names for 50 long names`);
});
