import * as fs from 'node:fs';
import { promisify } from 'node:util';

const readvAsync = (fd: number, buffers: Buffer[], position: number): Promise<number> =>
  new Promise((resolve, reject) => fs.readv(fd, buffers, position, (err, bytesRead) => (err ? reject(err) : resolve(bytesRead))));
const writeAsync = promisify(fs.write) as unknown as (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
) => Promise<{ bytesWritten: number }>;
const readAsync = promisify(fs.read) as unknown as (
  fd: number,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
) => Promise<{ bytesRead: number }>;

export const openAsync = promisify(fs.open);
export const closeAsync = promisify(fs.close);

export const fdatasyncAsync = promisify(fs.fdatasync);
export const ftruncateAsync = promisify(fs.ftruncate);
export const fstatAsync = (fd: number): Promise<fs.BigIntStats> =>
  new Promise((resolve, reject) =>
    fs.fstat(fd, { bigint: true }, (err, stats) => (err ? reject(err) : resolve(stats))),
  );

/**
 * Positional read straight into `views` (page memory, in file order): one preadv when the kernel
 * gives everything at once, else more preadv calls for the rest (libuv passes at most IOV_MAX
 * iovecs per call and hands back a short count beyond). Returns bytes read; fewer than asked
 * means end of file.
 */
export async function readIntoViews(fd: number, views: Buffer[], position: number): Promise<number> {
  let total = 0;
  for (const view of views) total += view.length;
  let rest = views;
  let got = 0;
  while (got < total) {
    const n = await readvAsync(fd, rest, position + got);
    if (n === 0) break;
    got += n;
    rest = remainderOf(rest, n);
  }
  return got;
}

/** What is left of `views` once their first `done` bytes are filled. */
function remainderOf(views: Buffer[], done: number): Buffer[] {
  let k = 0;
  while (k < views.length && done >= views[k].length) done -= views[k++].length;
  const rest = views.slice(k);
  if (done > 0) rest[0] = rest[0].subarray(done);
  return rest;
}

/** Positional write of all of `data`. */
export async function writeAll(fd: number, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await writeAsync(fd, data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

/** Positional read of up to `length` bytes into `target` at `targetOffset`; returns bytes read. */
export async function readAt(fd: number, target: Buffer, targetOffset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await readAsync(fd, target, targetOffset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

const writevAsync = (fd: number, buffers: Buffer[], position: number): Promise<number> =>
  new Promise((resolve, reject) => fs.writev(fd, buffers, position, (err, bytesWritten) => (err ? reject(err) : resolve(bytesWritten))));

/** Positional gather write of all of `views` (page memory, no copy). */
export async function writevAll(fd: number, views: Buffer[], position: number): Promise<void> {
  let rest = views;
  let at = position;
  while (rest.length > 0) {
    let written = await writevAsync(fd, rest, at);
    at += written;
    let k = 0;
    while (k < rest.length && written >= rest[k].length) written -= rest[k++].length;
    rest = rest.slice(k);
    if (written > 0) rest[0] = rest[0].subarray(written);
  }
}
