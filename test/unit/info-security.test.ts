import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeSecurityDescriptor } from '../../smb2/info/security.js';

const OWNER = 0x1;
const GROUP = 0x2;
const DACL = 0x4;
const SACL = 0x8;
const SE_DACL_PRESENT = 0x0004;
const SE_DACL_PROTECTED = 0x1000;
const SE_SACL_PRESENT = 0x0010;
const SE_SELF_RELATIVE = 0x8000;

const FILE_ALL_ACCESS = 0x1f01ff;
const FILE_GENERIC_READ = 0x120089;
const FILE_GENERIC_WRITE = 0x120116;
const FILE_GENERIC_EXECUTE = 0x1200a0;
const FILE_DELETE_CHILD = 0x40;

// --- An independent reader for [MS-DTYP] 2.4.2.2 SID, 2.4.5 ACL, 2.4.4.2 ACE and 2.4.6 SECURITY_DESCRIPTOR.

function parseSid(buf: Buffer, at: number): { text: string; size: number } {
  assert.equal(buf[at], 1, 'SID revision');
  const count = buf[at + 1]!;
  let authority = 0;
  for (let i = 0; i < 6; i++) authority = authority * 256 + buf[at + 2 + i]!;
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(buf.readUInt32LE(at + 8 + 4 * i));
  return { text: ['S-1', authority, ...subs].join('-'), size: 8 + 4 * count };
}

interface ParsedAce {
  type: number;
  flags: number;
  mask: number;
  sid: string;
}

function parseAcl(buf: Buffer, at: number): { aces: ParsedAce[]; size: number } {
  assert.equal(buf[at], 2, 'ACL revision');
  const size = buf.readUInt16LE(at + 2);
  const count = buf.readUInt16LE(at + 4);
  const aces: ParsedAce[] = [];
  let p = at + 8;
  for (let i = 0; i < count; i++) {
    const aceSize = buf.readUInt16LE(p + 2);
    const sid = parseSid(buf, p + 8);
    assert.equal(aceSize, 8 + sid.size, 'AceSize');
    aces.push({ type: buf[p]!, flags: buf[p + 1]!, mask: buf.readUInt32LE(p + 4), sid: sid.text });
    p += aceSize;
  }
  assert.equal(p - at, size, 'AclSize covers the ACEs exactly');
  return { aces, size };
}

function parseSd(buf: Buffer) {
  assert.equal(buf[0], 1, 'SD revision');
  assert.equal(buf[1], 0, 'Sbz1');
  const control = buf.readUInt16LE(2);
  const offsets = { owner: buf.readUInt32LE(4), group: buf.readUInt32LE(8), sacl: buf.readUInt32LE(12), dacl: buf.readUInt32LE(16) };
  let end = 20;
  const owner = offsets.owner ? parseSid(buf, offsets.owner) : undefined;
  const group = offsets.group ? parseSid(buf, offsets.group) : undefined;
  const dacl = offsets.dacl ? parseAcl(buf, offsets.dacl) : undefined;
  for (const [off, size] of [
    [offsets.owner, owner?.size],
    [offsets.group, group?.size],
    [offsets.dacl, dacl?.size],
  ] as const) {
    if (off) {
      assert.equal(off % 4, 0, 'parts are 4-byte aligned');
      end = Math.max(end, off + size!);
    }
  }
  assert.equal(end, buf.length, 'no bytes beyond the parts');
  return { control, offsets, owner: owner?.text, group: group?.text, aces: dacl?.aces };
}

// The masks are those Samba 4.17 reports for the same modes (seen with smbclient "showacls").
test('owner, group and DACL for a 0644 file', () => {
  const sd = parseSd(encodeSecurityDescriptor(OWNER | GROUP | DACL, { uid: 1000, gid: 100, mode: 0o100644, isDirectory: false }));
  assert.equal(sd.control, SE_SELF_RELATIVE | SE_DACL_PRESENT | SE_DACL_PROTECTED);
  assert.equal(sd.offsets.owner, 20);
  assert.equal(sd.offsets.sacl, 0);
  assert.equal(sd.owner, 'S-1-22-1-1000');
  assert.equal(sd.group, 'S-1-22-2-100');
  assert.deepEqual(sd.aces, [
    { type: 0, flags: 0, mask: FILE_GENERIC_READ | FILE_GENERIC_WRITE, sid: 'S-1-22-1-1000' },
    { type: 0, flags: 0, mask: FILE_GENERIC_READ, sid: 'S-1-22-2-100' },
    { type: 0, flags: 0, mask: FILE_GENERIC_READ, sid: 'S-1-1-0' },
  ]);
  assert.equal(FILE_GENERIC_READ | FILE_GENERIC_WRITE, 0x12019f);
});

test('a 0750 directory: full control for the owner, read+execute for the group, an empty grant for others', () => {
  const sd = parseSd(encodeSecurityDescriptor(DACL, { uid: 0, gid: 0, mode: 0o40750, isDirectory: true }));
  assert.equal(sd.owner, undefined);
  assert.equal(sd.group, undefined);
  assert.deepEqual(
    sd.aces?.map((a) => [a.sid, a.mask]),
    [
      ['S-1-22-1-0', FILE_ALL_ACCESS],
      ['S-1-22-2-0', 0x1200a9],
      ['S-1-1-0', 0],
    ],
  );
  assert.equal(FILE_GENERIC_READ | FILE_GENERIC_EXECUTE, 0x1200a9);
});

test('each permission bit maps to its generic set; write on a directory adds FILE_DELETE_CHILD', () => {
  const cases: Array<[number, boolean, number]> = [
    [0o4, false, FILE_GENERIC_READ],
    [0o2, false, FILE_GENERIC_WRITE],
    [0o1, false, FILE_GENERIC_EXECUTE],
    [0o6, false, FILE_GENERIC_READ | FILE_GENERIC_WRITE],
    [0o5, true, FILE_GENERIC_READ | FILE_GENERIC_EXECUTE],
    [0o2, true, FILE_GENERIC_WRITE | FILE_DELETE_CHILD],
    [0o6, true, FILE_GENERIC_READ | FILE_GENERIC_WRITE | FILE_DELETE_CHILD],
    [0o7, false, FILE_ALL_ACCESS],
    [0o7, true, FILE_ALL_ACCESS],
    [0o0, true, 0],
  ];
  for (const [bits, isDirectory, mask] of cases) {
    const sd = parseSd(encodeSecurityDescriptor(DACL, { uid: 1, gid: 2, mode: bits, isDirectory }));
    assert.equal(sd.aces?.[2]?.mask, mask, `others ${bits.toString(8)} dir ${isDirectory}`);
    assert.equal(sd.aces?.[0]?.mask, 0, 'owner bits are 0 here');
  }
});

test('only the parts asked for are present', () => {
  const facts = { uid: 4294967294, gid: 65534, mode: 0o600, isDirectory: false };
  const ownerOnly = parseSd(encodeSecurityDescriptor(OWNER, facts));
  assert.equal(ownerOnly.control, SE_SELF_RELATIVE);
  assert.equal(ownerOnly.owner, 'S-1-22-1-4294967294');
  assert.deepEqual([ownerOnly.offsets.group, ownerOnly.offsets.dacl], [0, 0]);

  const groupOnly = parseSd(encodeSecurityDescriptor(GROUP, facts));
  assert.equal(groupOnly.offsets.group, 20);
  assert.equal(groupOnly.group, 'S-1-22-2-65534');
  assert.equal(groupOnly.owner, undefined);

  // A SACL is never reported; asking for one alone yields the bare header.
  const none = encodeSecurityDescriptor(SACL, facts);
  assert.equal(none.length, 20);
  assert.equal(parseSd(none).control & SE_SACL_PRESENT, 0);
  assert.equal(encodeSecurityDescriptor(0, facts).length, 20);
});

test('the descriptor matches the bytes Samba 4.17 sent for a root-owned 0762 directory', () => {
  // Recorded from smbd 4.17 answering smbclient "showacls" (AdditionalInformation 7).
  const samba = Buffer.from(
    '0100049014000000240000000000000034000000010200000000001601000000000000000102000000000016020000000000000002004c00' +
      '0300000000001800ff011f000102000000000016010000000000000000001800df01120001020000000000160200000000000000000014' +
      '0056011200010100000000000100000000',
    'hex',
  );
  assert.deepEqual(encodeSecurityDescriptor(OWNER | GROUP | DACL, { uid: 0, gid: 0, mode: 0o40762, isDirectory: true }), samba);
});
