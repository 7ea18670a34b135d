// Decoding client security descriptors ([MS-DTYP] 2.4.6) and mapping their DACL onto mode bits, the
// inverse of what QUERY_INFO reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeSecurityDescriptor } from '../../smb2/info/security-decode.js';
import { encodeSecurityDescriptor } from '../../smb2/info/security.js';
import { modeForDacl, permissionsForMask } from '../../server/security-mode.js';
import { DecodeError } from '../../wire/decode-error.js';
import { aceBytes, aclBytes, EVERYONE, securityDescriptorBytes, sidBytes, unixGroup, unixUser } from '../support/security-bytes.js';

const ALLOW = 0;
const DENY = 1;
const FILE_ALL_ACCESS = 0x1f01ff;
const FILE_GENERIC_READ = 0x120089;
const GENERIC_WRITE = 0x40000000;
const FILE_EXECUTE = 0x20;

test('owner, group and DACL ACEs decode from a hand-built descriptor', () => {
  const sd = securityDescriptorBytes({
    owner: unixUser(1000),
    group: unixGroup(100),
    dacl: aclBytes([aceBytes(ALLOW, FILE_ALL_ACCESS, unixUser(1000)), aceBytes(DENY, 0x2, EVERYONE, 0x3), aceBytes(0x11, 0x1, sidBytes(16, 0x2000))]),
  });
  const d = decodeSecurityDescriptor(sd);
  assert.deepEqual(d.owner, { authority: 22, subAuthorities: [1, 1000] });
  assert.deepEqual(d.group, { authority: 22, subAuthorities: [2, 100] });
  assert.deepEqual(d.dacl, [
    { kind: 'allow', flags: 0, mask: FILE_ALL_ACCESS, sid: { authority: 22, subAuthorities: [1, 1000] } },
    { kind: 'deny', flags: 3, mask: 0x2, sid: { authority: 1, subAuthorities: [0] } },
    { kind: 'other', flags: 0, mask: 0x1, sid: null },
  ]);
  assert.equal(decodeSecurityDescriptor(securityDescriptorBytes({ owner: unixUser(5) })).dacl, undefined);
  assert.equal(decodeSecurityDescriptor(securityDescriptorBytes({ dacl: null })).dacl, null);
});

test('what QUERY_INFO encodes decodes back to the same mode bits', () => {
  for (const mode of [0o644, 0o755, 0o700, 0o640, 0o604, 0o000, 0o777, 0o421]) {
    for (const isDirectory of [false, true]) {
      const d = decodeSecurityDescriptor(encodeSecurityDescriptor(0x7, { uid: 1000, gid: 100, mode, isDirectory }));
      assert.equal(modeForDacl(d.dacl!, 1000, 100), mode, `mode ${mode.toString(8)}`);
    }
  }
});

test('generic rights, deny ACEs in order, inherit-only ACEs, NULL and foreign DACLs', () => {
  assert.equal(permissionsForMask(FILE_GENERIC_READ), 4);
  assert.equal(permissionsForMask(GENERIC_WRITE), 2);
  assert.equal(permissionsForMask(FILE_EXECUTE), 1);
  const acl = (aces: Buffer[]) => decodeSecurityDescriptor(securityDescriptorBytes({ dacl: aclBytes(aces) })).dacl!;
  // A deny before the allow wins; after it, the bits are already allowed.
  assert.equal(modeForDacl(acl([aceBytes(DENY, 0x2, unixUser(1)), aceBytes(ALLOW, FILE_ALL_ACCESS, unixUser(1))]), 1, 2), 0o500);
  assert.equal(modeForDacl(acl([aceBytes(ALLOW, FILE_ALL_ACCESS, unixUser(1)), aceBytes(DENY, 0x2, unixUser(1))]), 1, 2), 0o700);
  assert.equal(modeForDacl(acl([aceBytes(ALLOW, FILE_ALL_ACCESS, unixUser(1), 0x8), aceBytes(ALLOW, FILE_GENERIC_READ, EVERYONE)]), 1, 2), 0o004);
  assert.equal(modeForDacl(acl([aceBytes(ALLOW, FILE_GENERIC_READ, unixGroup(2))]), 1, 2), 0o040);
  assert.equal(modeForDacl(null, 1, 2), 0o777);
  assert.equal(modeForDacl(acl([]), 1, 2), 0o000);
  assert.equal(modeForDacl(acl([aceBytes(ALLOW, FILE_ALL_ACCESS, sidBytes(5, 21, 1, 2, 3, 1001))]), 1, 2), undefined);
});

test('malformed descriptors are INVALID_PARAMETER', () => {
  const good = securityDescriptorBytes({ owner: unixUser(1), dacl: aclBytes([aceBytes(ALLOW, 1, EVERYONE)]) });
  for (let n = 1; n < good.length; n++) {
    assert.throws(() => decodeSecurityDescriptor(good.subarray(0, n)), (e: unknown) => e instanceof DecodeError && e.status === 0xc000000d, `cut at ${n}`);
  }
  const absolute = Buffer.from(good);
  absolute.writeUInt16LE(0x4, 2); // SE_SELF_RELATIVE clear
  assert.throws(() => decodeSecurityDescriptor(absolute), DecodeError);
});
