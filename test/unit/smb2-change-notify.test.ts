/**
 * The CHANGE_NOTIFY codec ([MS-SMB2] 2.2.35/2.2.36, [MS-FSCC] 2.7.1) against bytes spelled out
 * in support/notify-bytes.ts, and the inotify-to-Action mapping of server/notify/.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, DecodeError } from '../../wire/index.js';
import { cat, splits } from '../support/bytes.js';
import { changeNotifyBody, notifyInformation } from '../support/notify-bytes.js';
import { decodeChangeNotifyRequest, decodeNotifyInformation, encodeNotifyInformation, notifyEntrySize, NotifyAction, NotifyFilter } from '../../smb2/commands/change-notify.js';
import { actionOf, eventMatches, inotifyMaskFor, renameAlsoModifies } from '../../server/notify/inotify-map.js';
import { DirectoryWatch } from '../../server/notify/directory-watch.js';
import { Status } from '../../smb2/status.js';
import { testHostFs } from '../support/server-fixture.js';
import type { HostInotifyEvent } from '../../server/host-fs.js';

test('a CHANGE_NOTIFY request decodes from its 32 bytes, and a truncated one is refused', () => {
  const body = changeNotifyBody({ flags: 1, outputBufferLength: 0x10000, persistent: 7n, volatile: 9n, filter: 0x17 });
  assert.equal(body.length, 32);
  assert.deepEqual(decodeChangeNotifyRequest(new Reader(body)), { flags: 1, outputBufferLength: 0x10000, fileId: { persistent: 7n, volatile: 9n }, completionFilter: 0x17 });
  for (const [head] of splits(body)) if (head.length < 32) assert.throws(() => decodeChangeNotifyRequest(new Reader(head)), DecodeError);
});

test('FILE_NOTIFY_INFORMATION: entries padded to 4 bytes except the last, NextEntryOffset 0 on the last', () => {
  const changes = [
    { action: NotifyAction.RENAMED_OLD_NAME, name: 'a' },
    { action: NotifyAction.RENAMED_NEW_NAME, name: 'dir\\bcd' },
    { action: NotifyAction.ADDED, name: 'ü' },
  ];
  const golden = notifyInformation(changes.map((c) => [c.action, c.name]));
  assert.deepEqual(encodeNotifyInformation(changes), golden);
  assert.deepEqual(decodeNotifyInformation(golden), changes);
  assert.equal(golden.readUInt32LE(0), 16, 'first entry: 12 + 2 name bytes, padded to 16');
  assert.equal(notifyEntrySize(changes[1]), 28);
  assert.deepEqual(encodeNotifyInformation([]), cat());
});

const c = (() => {
  const fs = testHostFs();
  if (!fs.inotifyConstants) throw new Error('spliced_fs lacks Inotify: npm run build:native');
  return fs.inotifyConstants;
})();

const ev = (mask: number, name: string, cookie = 0, wd = 1): HostInotifyEvent => ({ wd, mask, cookie, name: Buffer.from(name) });

test('inotify events map to Actions as Samba maps them: moves paired within one directory, otherwise removed/added', () => {
  const pair = [ev(c.IN_MOVED_FROM, 'x', 5), ev(c.IN_MOVED_TO, 'y', 5)];
  assert.equal(actionOf(pair, 0, c), NotifyAction.RENAMED_OLD_NAME);
  assert.equal(actionOf(pair, 1, c), NotifyAction.RENAMED_NEW_NAME);
  const across = [ev(c.IN_MOVED_FROM, 'x', 5, 1), ev(c.IN_MOVED_TO, 'y', 5, 2)];
  assert.equal(actionOf(across, 0, c), NotifyAction.REMOVED);
  assert.equal(actionOf(across, 1, c), NotifyAction.ADDED);
  assert.equal(actionOf([ev(c.IN_CREATE, 'n')], 0, c), NotifyAction.ADDED);
  assert.equal(actionOf([ev(c.IN_DELETE, 'n')], 0, c), NotifyAction.REMOVED);
  assert.equal(actionOf([ev(c.IN_ATTRIB, 'n')], 0, c), NotifyAction.MODIFIED);
  assert.equal(actionOf([ev(c.IN_ATTRIB, '')], 0, c), null, 'the watched directory itself');
  assert.equal(actionOf([ev(c.IN_IGNORED, '')], 0, c), null);
});

test('a filter sees only its kind of change: directories only under DIR_NAME, writes under ATTRIBUTES/SIZE/LAST_WRITE', () => {
  const names = NotifyFilter.FILE_NAME;
  assert.ok(eventMatches(ev(c.IN_CREATE, 'f'), names, inotifyMaskFor(names, c), c));
  assert.ok(!eventMatches(ev(c.IN_CREATE | c.IN_ISDIR, 'd'), names, inotifyMaskFor(names, c), c));
  assert.ok(eventMatches(ev(c.IN_CREATE | c.IN_ISDIR, 'd'), NotifyFilter.DIR_NAME, inotifyMaskFor(NotifyFilter.DIR_NAME, c), c));
  assert.ok(!eventMatches(ev(c.IN_MODIFY, 'f'), names, inotifyMaskFor(names, c), c));
  for (const filter of [NotifyFilter.ATTRIBUTES, NotifyFilter.SIZE, NotifyFilter.LAST_WRITE]) assert.ok(eventMatches(ev(c.IN_MODIFY, 'f'), filter, inotifyMaskFor(filter, c), c));
  assert.ok(!eventMatches(ev(c.IN_CREATE, 'f'), NotifyFilter.ATTRIBUTES, inotifyMaskFor(NotifyFilter.ATTRIBUTES, c), c));
  assert.equal(inotifyMaskFor(NotifyFilter.STREAM_NAME, c), 0);
  const attrs = NotifyFilter.ATTRIBUTES;
  assert.ok(renameAlsoModifies(ev(c.IN_MOVED_TO, 'f'), NotifyAction.RENAMED_NEW_NAME, attrs, inotifyMaskFor(attrs, c), c));
  assert.ok(!renameAlsoModifies(ev(c.IN_MOVED_TO, 'f'), NotifyAction.RENAMED_NEW_NAME, attrs | NotifyFilter.CREATION, inotifyMaskFor(attrs, c), c));
  assert.ok(!renameAlsoModifies(ev(c.IN_MOVED_TO | c.IN_ISDIR, 'd'), NotifyAction.RENAMED_NEW_NAME, attrs, inotifyMaskFor(attrs, c), c));
});

test('a watch coalesces repeated changes, holds OLD_NAME for its NEW_NAME, and overflows past its queue limit', () => {
  const w = new DirectoryWatch({ filter: NotifyFilter.FILE_NAME, recursive: false, queueLimit: 64, fd: -1, fileKey: 'k' });
  const answers: Array<{ status: number }> = [];
  assert.equal(w.request(4096, (o) => answers.push(o)), null);
  w.add({ action: NotifyAction.RENAMED_OLD_NAME, name: 'a' });
  assert.equal(answers.length, 0, 'OLD_NAME waits for its NEW_NAME');
  w.add({ action: NotifyAction.RENAMED_NEW_NAME, name: 'b' });
  assert.deepEqual(answers, [{ status: Status.SUCCESS, output: notifyInformation([[4, 'a'], [5, 'b']]) }]);
  w.add({ action: NotifyAction.MODIFIED, name: 'b' });
  w.add({ action: NotifyAction.MODIFIED, name: 'b' });
  assert.deepEqual(w.request(4096, () => {}), { status: Status.SUCCESS, output: notifyInformation([[3, 'b']]) });
  for (let i = 0; i < 5; i++) w.add({ action: NotifyAction.ADDED, name: `file-${i}` });
  assert.deepEqual(w.request(4096, () => {}), { status: Status.NOTIFY_ENUM_DIR });
  w.add({ action: NotifyAction.ADDED, name: 'x' });
  assert.deepEqual(w.request(0, () => {}), { status: Status.NOTIFY_ENUM_DIR }, 'a request whose buffer cannot hold the queue');
});

test('queued changes count against a budget shared by every watch, returned when they are answered or the open goes', () => {
  const budget = { used: 0, max: () => 40 };
  const a = new DirectoryWatch({ filter: NotifyFilter.FILE_NAME, recursive: false, queueLimit: 4096, fd: -1, fileKey: 'a', budget });
  const b = new DirectoryWatch({ filter: NotifyFilter.FILE_NAME, recursive: false, queueLimit: 4096, fd: -1, fileKey: 'b', budget });
  a.add({ action: NotifyAction.ADDED, name: 'one' });
  assert.equal(budget.used, 20);
  b.add({ action: NotifyAction.ADDED, name: 'two' });
  b.add({ action: NotifyAction.ADDED, name: 'six' });
  assert.deepEqual(b.request(4096, () => {}), { status: Status.NOTIFY_ENUM_DIR }, 'past the shared budget');
  assert.equal(budget.used, 20);
  assert.deepEqual(a.request(4096, () => {}), { status: Status.SUCCESS, output: notifyInformation([[1, 'one']]) });
  assert.equal(budget.used, 0);
  b.add({ action: NotifyAction.ADDED, name: 'x' });
  b.dispose();
  assert.equal(budget.used, 0);
});
