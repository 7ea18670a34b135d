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
 * Positional read straight into `views` (page memory), one readv when the kernel
 * gives everything at once. Returns bytes read; fewer than asked means end of file.
 */
export async function readIntoViews(fd: number, views: Buffer[], position: number): Promise<number> {
  let total = 0;
  for (const view of views) total += view.length;
  let got = await readvAsync(fd, views, position);
  if (got === total || got === 0) return got;
  // A short read of a regular file is EOF, but keep reading until the kernel says 0 to be sure.
  let viewAt = 0;
  let skip = got;
  while (viewAt < views.length && skip >= views[viewAt].length) skip -= views[viewAt++].length;
  while (viewAt < views.length) {
    const view = views[viewAt];
    const { bytesRead } = await readAsync(fd, view, skip, view.length - skip, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
    skip += bytesRead;
    if (skip === view.length) {
      viewAt++;
      skip = 0;
    }
  }
  return got;
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
