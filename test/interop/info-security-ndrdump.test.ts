/** Samba's ndrdump as the judge of the security descriptors spliced encodes (the byte-level tests are in test/unit/info-security.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSecurityDescriptor } from '../../smb2/info/security.js';

const OWNER = 0x1;
const GROUP = 0x2;
const DACL = 0x4;

const hasNdrdump = spawnSync('ndrdump', ['--help'], { stdio: 'ignore' }).error === undefined;

test('Samba ndrdump parses the descriptor and re-marshals it to the same bytes', { skip: !hasNdrdump && 'install samba-common-bin (ndrdump) to run this check' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'spliced-info-sd-'));
  try {
    const file = join(dir, 'sd.bin');
    writeFileSync(file, encodeSecurityDescriptor(OWNER | GROUP | DACL, { uid: 1001, gid: 1002, mode: 0o751, isDirectory: true }));
    const r = spawnSync('ndrdump', ['--validate', 'security', 'security_descriptor', 'struct', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /owner_sid\s+: S-1-22-1-1001/);
    assert.match(r.stdout, /group_sid\s+: S-1-22-2-1002/);
    assert.match(r.stdout, /num_aces\s+: 0x00000003 \(3\)/);
    assert.match(r.stdout, /access_mask\s+: 0x001f01ff/);
    assert.match(r.stdout, /trustee\s+: S-1-1-0/);
    assert.match(r.stdout, /dump OK/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
