import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { Status, SmbStatusError } from '../smb2/status.js';

/** A share-relative path split into components, as received ('\' separated), checked for escapes. */
export function splitSharePath(wireName: string): string[] {
  if (wireName.includes('\0')) throw new SmbStatusError(Status.OBJECT_NAME_INVALID);
  const unified = wireName.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:(\/|$)/.test(unified)) throw new SmbStatusError(Status.INVALID_PARAMETER, 'absolute path');
  const parts: string[] = [];
  for (const part of unified.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw new SmbStatusError(Status.OBJECT_PATH_SYNTAX_BAD, '.. in path');
    if (part.includes(':')) throw new SmbStatusError(Status.OBJECT_NAME_NOT_FOUND, 'alternate data streams are not supported');
    parts.push(part);
  }
  return parts;
}

function inside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith('/') ? root : root + '/');
}

/** The real directory of one share; every path handed to the file system goes through `resolve`. */
export class ShareRoot {
  private realRoot: Promise<string>;

  constructor(readonly root: string) {
    this.realRoot = realpath(root).catch(() => path.resolve(root));
  }

  /**
   * The absolute host path for a share-relative wire name. The parent's real path and,
   * when the leaf exists, the leaf's real path must stay inside the share root, so
   * neither `..` nor a symlink can lead out of it.
   */
  async resolve(wireName: string): Promise<{ absolute: string; relative: string; parts: string[] }> {
    const parts = splitSharePath(wireName);
    const root = await this.realRoot;
    const absolute = parts.length ? path.join(root, ...parts) : root;
    if (parts.length) {
      await this.checkInside(root, path.dirname(absolute), true);
      await this.checkInside(root, absolute, false);
    }
    return { absolute, relative: parts.join('/'), parts };
  }

  private async checkInside(root: string, p: string, isParent: boolean): Promise<void> {
    let real: string;
    try {
      real = await realpath(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (isParent) throw new SmbStatusError(Status.OBJECT_PATH_NOT_FOUND);
        const dangling = await lstat(p).then(() => true, () => false);
        if (dangling) throw new SmbStatusError(Status.ACCESS_DENIED, 'dangling symlink');
        return; // a leaf that does not exist yet
      }
      if (code === 'ELOOP') throw new SmbStatusError(Status.ACCESS_DENIED, 'symlink loop');
      throw err;
    }
    if (!inside(root, real)) throw new SmbStatusError(Status.ACCESS_DENIED, 'path leads outside the share');
  }
}
