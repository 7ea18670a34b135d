import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cat, le32 } from '../support/bytes.js';
import { netrShareEnum, netrShareGetInfo, srvsvcInterface, type ShareSource } from '../../server/pipes/srvsvc.js';
import { isAdministrator } from '../../server/pipes/pipe-registry.js';
import { RpcPipe } from '../../server/pipes/dcerpc-server.js';
import type { ShareInfo } from '../../server/pipes/share-info.js';
import { NDR20, SRVSVC_V3, REF, bindPdu, contextElement, faultPdu, ndrString, requestPdu, responsePdu } from '../support/pipes-rpc-bytes.js';

const data: ShareInfo = { name: 'data', type: 0, comment: 'Team data', path: 'C:\\srv\\data', currentUses: 2 };
const hidden: ShareInfo = { name: 'hidden', type: 0, comment: '', path: 'C:\\srv\\hidden', currentUses: 0 };
const ipc: ShareInfo = { name: 'IPC$', type: 0x80000003, comment: 'IPC Service (X)', path: '', currentUses: 1 };
const source: ShareSource = { all: () => [data, hidden, ipc], browseable: () => [data, ipc], mayReadPaths: true };
const guestSource: ShareSource = { ...source, mayReadPaths: false };

/** NetrShareEnum request as smbclient sends it: ServerName, Level, empty container, max length, resume handle 0. */
function enumRequest(level: number, resume = true): Buffer {
  return cat(
    REF(0), ndrString('\\\\127.0.0.1'),
    le32(level), le32(level), REF(1), le32(0), le32(0),
    le32(0xffffffff),
    resume ? cat(REF(2), le32(0)) : le32(0),
  );
}

function getInfoRequest(name: string, level: number): Buffer {
  return cat(REF(0), ndrString('\\\\127.0.0.1'), ndrString(name), le32(level));
}

test('NetrShareEnum level 1: browseable shares and IPC$ with types and comments (golden NDR)', () => {
  const expected = cat(
    le32(1), le32(1), REF(0), // Level, union discriminant, SHARE_INFO_1_CONTAINER*
    le32(2), REF(1), // EntriesRead, Buffer*
    le32(2), // conformant array size
    REF(2), le32(0), REF(3),
    REF(4), le32(0x80000003), REF(5),
    ndrString('data'), ndrString('Team data'), ndrString('IPC$'), ndrString('IPC Service (X)'),
    le32(2), // TotalEntries
    REF(6), le32(0), // ResumeHandle
    le32(0), // NERR_Success
  );
  assert.deepEqual(netrShareEnum(source, enumRequest(1)), expected);
});

test('NetrShareEnum level 0 names only; without a resume handle none comes back', () => {
  const expected = cat(
    le32(0), le32(0), REF(0), le32(2), REF(1), le32(2), REF(2), REF(3), ndrString('data'), ndrString('IPC$'),
    le32(2), le32(0), le32(0),
  );
  assert.deepEqual(netrShareEnum(source, enumRequest(0, false)), expected);
});

test('NetrShareEnum level 2 adds permissions, max uses, current uses, path and a NULL password', () => {
  const expected = cat(
    le32(2), le32(2), REF(0), le32(2), REF(1), le32(2),
    REF(2), le32(0), REF(3), le32(0), le32(0xffffffff), le32(2), REF(4), le32(0),
    REF(5), le32(0x80000003), REF(6), le32(0), le32(0xffffffff), le32(1), REF(7), le32(0),
    ndrString('data'), ndrString('Team data'), ndrString('C:\\srv\\data'),
    ndrString('IPC$'), ndrString('IPC Service (X)'), ndrString(''),
    le32(2), REF(8), le32(0), le32(0),
  );
  assert.deepEqual(netrShareEnum(source, enumRequest(2)), expected);
});

test('NetrShareEnum at an unsupported level answers ERROR_INVALID_LEVEL with no container', () => {
  assert.deepEqual(netrShareEnum(source, enumRequest(502)), cat(le32(502), le32(502), le32(0), le32(0), REF(0), le32(0), le32(0x7c)));
});

test('anonymous and guest callers get ERROR_ACCESS_DENIED at level 2 (host paths); level 1 still works', () => {
  assert.deepEqual(netrShareEnum(guestSource, enumRequest(2)), cat(le32(2), le32(2), le32(0), le32(0), REF(0), le32(0), le32(0x5)));
  assert.deepEqual(netrShareGetInfo(guestSource, getInfoRequest('data', 2)), cat(le32(2), le32(0), le32(0x5)));
  assert.deepEqual(netrShareEnum(guestSource, enumRequest(1)), netrShareEnum(source, enumRequest(1)));
});

test('NetrShareGetInfo finds hidden shares by name, case-insensitively', () => {
  const expected = cat(le32(1), REF(0), REF(1), le32(0), REF(2), ndrString('hidden'), ndrString(''), le32(0));
  assert.deepEqual(netrShareGetInfo(source, getInfoRequest('HIDDEN', 1)), expected);
  assert.deepEqual(netrShareGetInfo(source, getInfoRequest('IPC$', 0)), cat(le32(0), REF(0), REF(1), ndrString('IPC$'), le32(0)));
});

test('NetrShareGetInfo for an unknown share or level returns the error and a NULL info pointer', () => {
  assert.deepEqual(netrShareGetInfo(source, getInfoRequest('nope', 1)), cat(le32(1), le32(0), le32(0x906)));
  assert.deepEqual(netrShareGetInfo(source, getInfoRequest('data', 7)), cat(le32(7), le32(0), le32(0x7c)));
});

test('over RPC: a truncated or inconsistent NetrShareEnum stub is a FAULT, not a crash', () => {
  const pipe = new RpcPipe([srvsvcInterface(source)]);
  pipe.receive(bindPdu(1, 4280, [contextElement(0, SRVSVC_V3, [NDR20])]));
  const ok = netrShareEnum(source, enumRequest(1));
  assert.deepEqual(pipe.receive(requestPdu(2, 0, 15, enumRequest(1))), [responsePdu(2, 3, ok.length, ok)]);
  const bad = [
    enumRequest(1).subarray(0, 30),
    cat(le32(0), le32(1), le32(2), le32(0)), // Level 1, discriminant 2
    cat(REF(0), le32(5), le32(0), le32(9)), // string with ActualCount > MaximumCount
  ];
  for (const stub of bad) assert.deepEqual(pipe.receive(requestPdu(3, 0, 15, stub)), [faultPdu(3, 0x6f7, 0x03)]);
});

test('host paths (level 2) only for administrators: not guests, not anonymous, not ordinary users (issue 9 item 10)', () => {
  assert.equal(isAdministrator({ anonymous: false, guest: false, user: 'alice' }), false);
  assert.equal(isAdministrator({ anonymous: false, guest: true, user: 'root' }), false);
  assert.equal(isAdministrator({ anonymous: true, guest: false, user: '' }), false);
  assert.equal(isAdministrator({ anonymous: false, guest: false, user: 'Root' }), true);
});
