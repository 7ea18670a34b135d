/** spliced_fs Inotify (native/src/fs/inotify.cc): watches beneath a descriptor, events as plain records. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { testHostFs } from '../support/server-fixture.js';
import type { HostInotifyEvent } from '../../server/host-fs.js';

const fs = testHostFs();
const c = fs.inotifyConstants!;
const ALL = c.IN_CREATE | c.IN_DELETE | c.IN_MOVED_FROM | c.IN_MOVED_TO | c.IN_ATTRIB | c.IN_MODIFY;

async function watched() {
  const dir = await mkdtemp(path.join(tmpdir(), 'spliced-inotify-'));
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  const events: HostInotifyEvent[] = [];
  const inotify = new fs.Inotify!((batch) => events.push(...batch));
  const settle = () => new Promise((r) => setTimeout(r, 50));
  const done = async () => {
    inotify.close();
    inotify.close();
    await handle.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, fd: handle.fd, events, inotify, settle, done };
}

test('a watch beneath a descriptor reports creates and a rename as a cookie pair, with raw names', async () => {
  const w = await watched();
  const wd = w.inotify.addWatch(w.fd, '', ALL);
  await writeFile(path.join(w.dir, 'a'), 'x');
  await rename(path.join(w.dir, 'a'), path.join(w.dir, 'b'));
  await w.settle();
  const created = w.events.find((e) => e.mask & c.IN_CREATE);
  assert.equal(created?.wd, wd);
  assert.equal(created?.name.toString(), 'a');
  const from = w.events.find((e) => e.mask & c.IN_MOVED_FROM);
  const to = w.events.find((e) => e.mask & c.IN_MOVED_TO);
  assert.ok(from && to && from.cookie !== 0 && from.cookie === to.cookie);
  assert.equal(to.name.toString(), 'b');
  await w.done();
});

test('a subdirectory is watched by its path beneath the descriptor; escapes and symlinks are refused', async () => {
  const w = await watched();
  await mkdir(path.join(w.dir, 'sub'));
  const root = w.inotify.addWatch(w.fd, '', ALL);
  const sub = w.inotify.addWatch(w.fd, 'sub', ALL);
  assert.notEqual(root, sub);
  assert.equal(w.inotify.addWatch(w.fd, 'sub', ALL), sub, 'one watch descriptor per directory');
  assert.throws(() => w.inotify.addWatch(w.fd, '..', ALL), { code: 'EXDEV' });
  await symlink('/tmp', path.join(w.dir, 'link'));
  assert.throws(() => w.inotify.addWatch(w.fd, 'link', ALL), (err: NodeJS.ErrnoException) => err.code === 'ELOOP' || err.code === 'ENOTDIR');
  await writeFile(path.join(w.dir, 'plain'), '');
  assert.throws(() => w.inotify.addWatch(w.fd, 'plain', ALL), { code: 'ENOTDIR' });
  await writeFile(path.join(w.dir, 'sub', 'inner'), '');
  await w.settle();
  assert.ok(w.events.some((e) => e.wd === sub && e.mask & c.IN_CREATE && e.name.toString() === 'inner'));
  w.inotify.removeWatch(sub);
  w.inotify.removeWatch(sub);
  await w.done();
});
