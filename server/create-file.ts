import { mkdir, open, stat } from 'node:fs/promises';
import { constants, type BigIntStats } from 'node:fs';
import { CreateAction, CreateDisposition, CreateOption } from '../smb2/constants.js';
import { Status, SmbStatusError, statusFromErrno } from '../smb2/status.js';

export interface CreateOutcome {
  action: number;
  stats: BigIntStats;
  /** The disposition overwrites an existing file: truncate it through the FileIo (page cache). */
  truncate: boolean;
}

async function statOrNull(absolute: string): Promise<BigIntStats | null> {
  try {
    return await stat(absolute, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new SmbStatusError(statusFromErrno(code, true));
  }
}

function fsError(err: unknown, missingParent: boolean): SmbStatusError {
  if (err instanceof SmbStatusError) return err;
  return new SmbStatusError(statusFromErrno((err as NodeJS.ErrnoException).code, missingParent));
}

const OVERWRITING: number[] = [CreateDisposition.SUPERSEDE, CreateDisposition.OVERWRITE, CreateDisposition.OVERWRITE_IF];

async function openExisting(absolute: string, st: BigIntStats, disposition: number, options: number, readOnly: boolean): Promise<CreateOutcome> {
  if (disposition === CreateDisposition.CREATE) throw new SmbStatusError(Status.OBJECT_NAME_COLLISION);
  if (st.isDirectory()) {
    if (options & CreateOption.NON_DIRECTORY_FILE) throw new SmbStatusError(Status.FILE_IS_A_DIRECTORY);
    if (OVERWRITING.includes(disposition)) throw new SmbStatusError(Status.INVALID_PARAMETER);
    return { action: CreateAction.OPENED, stats: st, truncate: false };
  }
  if (!st.isFile()) throw new SmbStatusError(Status.ACCESS_DENIED, 'not a regular file or directory');
  if (options & CreateOption.DIRECTORY_FILE) throw new SmbStatusError(Status.NOT_A_DIRECTORY);
  if (!OVERWRITING.includes(disposition)) return { action: CreateAction.OPENED, stats: st, truncate: false };
  if (readOnly) throw new SmbStatusError(Status.ACCESS_DENIED);
  const action = disposition === CreateDisposition.SUPERSEDE ? CreateAction.SUPERSEDED : CreateAction.OVERWRITTEN;
  return { action, stats: st, truncate: true };
}

async function createNew(absolute: string, disposition: number, options: number, readOnly: boolean): Promise<CreateOutcome> {
  if (disposition === CreateDisposition.OPEN || disposition === CreateDisposition.OVERWRITE) {
    throw new SmbStatusError(Status.OBJECT_NAME_NOT_FOUND);
  }
  if (readOnly) throw new SmbStatusError(Status.ACCESS_DENIED);
  try {
    if (options & CreateOption.DIRECTORY_FILE) {
      if (disposition !== CreateDisposition.CREATE && disposition !== CreateDisposition.OPEN_IF) {
        throw new SmbStatusError(Status.INVALID_PARAMETER);
      }
      await mkdir(absolute);
    } else {
      const fh = await open(absolute, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o644);
      await fh.close();
    }
  } catch (err) {
    throw fsError(err, true);
  }
  return { action: CreateAction.CREATED, stats: await stat(absolute, { bigint: true }), truncate: false };
}

/** Carry out a CREATE disposition on the host, [MS-SMB2] 3.3.5.9 and [MS-FSA] 2.1.5.1. */
export async function openOrCreate(absolute: string, disposition: number, options: number, readOnly: boolean): Promise<CreateOutcome> {
  if (disposition > CreateDisposition.OVERWRITE_IF) throw new SmbStatusError(Status.INVALID_PARAMETER);
  if ((options & CreateOption.DIRECTORY_FILE) && (options & CreateOption.NON_DIRECTORY_FILE)) {
    throw new SmbStatusError(Status.INVALID_PARAMETER);
  }
  const st = await statOrNull(absolute);
  return st ? openExisting(absolute, st, disposition, options, readOnly) : createNew(absolute, disposition, options, readOnly);
}
